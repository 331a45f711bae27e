"""What other modules may use of the contracts module: the contract and its lines (an order made from a contract
names it and may not order more than it leaves unordered), which statuses are in force, and which were signed."""
from app.modules.contracts.models import EXPIRING, SIGNED, SIGNED_STATES, Contract, ContractInstalment, ContractLine

IN_FORCE = (SIGNED, EXPIRING)

__all__ = ["Contract", "ContractInstalment", "ContractLine", "IN_FORCE", "SIGNED_STATES"]
