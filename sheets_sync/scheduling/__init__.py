"""Scheduled refreshes: when a schedule is due (:mod:`.times`), claiming due schedules exactly
once (:mod:`.dispatcher`), handing refreshes to a queue (:mod:`.tasks`), running them with a
lease, retries and pauses (:mod:`.execution`), and the local worker loop (:mod:`.worker`).
"""
