"""Approval workflows: chain definitions, conditions, engine, screens and jobs."""
