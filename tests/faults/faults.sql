-- The fault scenarios' ledger. Calling module: tests/faults/actors.py (test support only).

-- name: fault_ledger_insert
INSERT INTO fault_ledger (n) VALUES (%(n)s)

-- name: fault_ledger_insert_many
INSERT INTO fault_ledger (n) SELECT g FROM generate_series(1, %(rows)s) AS g
