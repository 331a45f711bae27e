"""Invoices (发票管理): issued from orders and from contracts' payment plans, numbered per type without gaps,
printed from their templates, voided through 发票作废审批 in the month of issue or reversed by a red-letter
invoice afterwards."""
