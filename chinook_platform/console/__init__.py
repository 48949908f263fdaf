"""The ``chinook`` command: its commands (``cli``, ``tools``), ``chinook run`` in this process (``run``), what a
run prints as it goes (``report``) and at its end (``summary``), and the exit codes a script reads (``exit_codes``).
It imports ``lib`` and the definitions it runs; nothing below imports it."""
