"""The generic work-order engine (工单): typed orders, state machines, SLA clock, history, tick."""
