"""Approval records: published chain versions, running instances, tasks, the timeline, CC
entries and delegations.

A version is immutable once published; an instance keeps the version (and its digest) it
started on until it ends. `instance.lock_version` is the compare-and-set counter every action
bumps (engine.py), so two approvers acting at the same instant can never both advance a step.
"""
from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import (JSON, Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import relationship

from app.core.clock import utcnow

# Instance states
RUNNING, APPROVED, REJECTED, WITHDRAWN = "running", "approved", "rejected", "withdrawn"
# Task states
PENDING, WAITING, ON_HOLD = "pending", "waiting", "on_hold"          # open
DONE_APPROVED, DONE_REJECTED, RETURNED, TRANSFERRED, VOID = "approved", "rejected", "returned", "transferred", "void"
OPEN_TASK_STATES = (PENDING, WAITING, ON_HOLD)


class WorkflowDefinition(Model):
    """One approval chain (by name); which of its versions new submissions use."""

    __tablename__ = "wf_definition"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    name = Column(String(64), unique=True, nullable=False)
    title = Column(String(120), nullable=False)
    document = Column(String(64), nullable=False, index=True)
    active_version_id = Column(Integer, ForeignKey("wf_version.id", use_alter=True, name="fk_wf_definition_active"))
    created_at = Column(DateTime, nullable=False, default=utcnow)

    active_version = relationship("WorkflowVersion", foreign_keys=[active_version_id], post_update=True)

    def __str__(self) -> str:
        return self.title


class WorkflowVersion(Model):
    """A published definition text. Never updated after insert."""

    __tablename__ = "wf_version"
    __table_args__ = (UniqueConstraint("definition_id", "number", name="uq_wf_version_number"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    definition_id = Column(Integer, ForeignKey("wf_definition.id", ondelete="CASCADE"), nullable=False)
    number = Column(Integer, nullable=False)
    source = Column(Text, nullable=False)
    digest = Column(String(64), nullable=False)
    note = Column(String(255))
    published_by_id = Column(Integer, ForeignKey("ab_user.id"))
    published_at = Column(DateTime, nullable=False, default=utcnow)

    definition = relationship("WorkflowDefinition", foreign_keys=[definition_id])
    published_by = relationship("AppUser")


class ApprovalInstance(Model):
    """One document's trip through one version of a chain."""

    __tablename__ = "wf_instance"
    __table_args__ = (Index("ix_wf_instance_document", "document", "record_id"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    version_id = Column(Integer, ForeignKey("wf_version.id"), nullable=False)
    document = Column(String(64), nullable=False)
    record_id = Column(Integer, nullable=False)
    title = Column(String(255), nullable=False, default="")
    submitter_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False, index=True)
    status = Column(String(16), nullable=False, default=RUNNING, index=True)
    current_step = Column(String(64))
    # How many times a step has been entered, so a returned step's tasks are a new round.
    round = Column(Integer, nullable=False, default=0)
    returned = Column(Boolean, nullable=False, default=False)  # current step entered by a return
    lock_version = Column(Integer, nullable=False, default=0)
    context = Column(JSON, nullable=False, default=dict)       # document fields at submission
    # 发起人自选: whom the submitter chose, {pick key ("step:<id>", "cc:<step id>", "cc"): [user ids]}
    picks = Column(JSON)
    stale = Column(Boolean, nullable=False, default=False)
    started_at = Column(DateTime, nullable=False, default=utcnow)
    finished_at = Column(DateTime)

    version = relationship("WorkflowVersion")
    submitter = relationship("AppUser", foreign_keys=[submitter_id])
    tasks = relationship("ApprovalTask", back_populates="instance", order_by="ApprovalTask.id")

    # Every UPDATE of an instance says `WHERE lock_version = <as read>`; the engine sets the new
    # value itself (frame._claim), in the first write of each action.
    __mapper_args__ = {"version_id_col": lock_version, "version_id_generator": False}


class ApprovalTask(Model):
    """One person's part in one round of one step."""

    __tablename__ = "wf_task"
    __table_args__ = (Index("ix_wf_task_assignee_status", "assignee_id", "status"),
                      Index("ix_wf_task_instance_round", "instance_id", "round"),
                      Index("ix_wf_task_decided_by", "decided_by_id", "decided_at"),     # "handled by me"
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    instance_id = Column(Integer, ForeignKey("wf_instance.id", ondelete="CASCADE"), nullable=False)
    step_id = Column(String(64), nullable=False)
    round = Column(Integer, nullable=False)
    seq = Column(Integer, nullable=False, default=0)            # order within a sequential step
    assignee_id = Column(Integer, ForeignKey("ab_user.id"), nullable=False)
    on_behalf_of_id = Column(Integer, ForeignKey("ab_user.id"))  # the delegator, when delegated
    status = Column(String(16), nullable=False, default=PENDING)
    kind = Column(String(16), nullable=False, default="normal")  # normal | before | after (added signers)
    parent_id = Column(Integer, ForeignKey("wf_task.id"))         # the task a signer was added to
    note = Column(Text)                                            # e.g. the comment of a return
    # Bumped whenever the task is reassigned or reopened: SLA jobs carry it and do nothing on a mismatch.
    version = Column(Integer, nullable=False, default=0)
    decided_by_id = Column(Integer, ForeignKey("ab_user.id"))
    decided_at = Column(DateTime)
    comment = Column(Text)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    reminded_at = Column(DateTime)
    urged_at = Column(DateTime)

    instance = relationship("ApprovalInstance", back_populates="tasks")
    assignee = relationship("AppUser", foreign_keys=[assignee_id])
    on_behalf_of = relationship("AppUser", foreign_keys=[on_behalf_of_id])
    decided_by = relationship("AppUser", foreign_keys=[decided_by_id])


class ApprovalAction(Model):
    """The approval timeline: every action and automatic decision, in order."""

    __tablename__ = "wf_action"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    instance_id = Column(Integer, ForeignKey("wf_instance.id", ondelete="CASCADE"), nullable=False, index=True)
    task_id = Column(Integer, ForeignKey("wf_task.id"))
    step_id = Column(String(64))
    action = Column(String(24), nullable=False)
    actor_id = Column(Integer, ForeignKey("ab_user.id"))           # None: the system
    on_behalf_of_id = Column(Integer, ForeignKey("ab_user.id"))
    target_id = Column(Integer, ForeignKey("ab_user.id"))          # transferred to / signer added / CC
    comment = Column(Text)
    reason = Column(String(64))                                    # code of an automatic decision
    at = Column(DateTime, nullable=False, default=utcnow)

    instance = relationship("ApprovalInstance")
    actor = relationship("AppUser", foreign_keys=[actor_id])
    on_behalf_of = relationship("AppUser", foreign_keys=[on_behalf_of_id])
    target = relationship("AppUser", foreign_keys=[target_id])


class ApprovalCc(Model):
    """A document copied to a user on an approval event ("CC to me")."""

    __tablename__ = "wf_cc"
    __table_args__ = (UniqueConstraint("instance_id", "user_id", "event", name="uq_wf_cc_event"),
                      {"sqlite_autoincrement": True})

    id = Column(Integer, primary_key=True)
    instance_id = Column(Integer, ForeignKey("wf_instance.id", ondelete="CASCADE"), nullable=False)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    event = Column(String(24), nullable=False)
    at = Column(DateTime, nullable=False, default=utcnow)

    instance = relationship("ApprovalInstance")


class Delegation(Model):
    """While `user` is away (from `starts_on` to `ends_on`, inclusive, company dates), tasks
    created for them go to `delegate`, acting on their behalf."""

    __tablename__ = "wf_delegation"
    __table_args__ = {"sqlite_autoincrement": True}

    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False, index=True)
    delegate_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    starts_on = Column(Date, nullable=False)
    ends_on = Column(Date, nullable=False)
    definition_name = Column(String(64))                           # None: every chain
    created_at = Column(DateTime, nullable=False, default=utcnow)

    user = relationship("AppUser", foreign_keys=[user_id])
    delegate = relationship("AppUser", foreign_keys=[delegate_id])


def waiting_count_query(user):
    """SELECT of the number of approval tasks waiting for `user` (the top bar's approvals badge,
    counted in the same statement as the notifications: app/core/notify.unread_count)."""
    from sqlalchemy import func, select

    return select(func.count()).select_from(ApprovalTask).where(
        ApprovalTask.assignee_id == user.id, ApprovalTask.status == PENDING)
