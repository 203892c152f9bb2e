-- The fault scenarios' ledger. Calling module: tests/faults/actors.py (test support only).

-- name: fault_ledger_insert
INSERT INTO fault_ledger (n) VALUES (%(n)s)
