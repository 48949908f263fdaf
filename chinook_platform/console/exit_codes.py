"""The exit codes of ``chinook`` (also in the README and `chinook --help`): what a script reads of a command."""

EXIT_OK = 0  # everything landed loaded and every ERROR-severity check passed
EXIT_RUN_FAILED = 1  # an asset or check raised: the run failed
EXIT_USAGE = 2  # a bad argument or option (click's own code for usage errors)
EXIT_CHECK_FAILED = 3  # an ERROR-severity check failed, or data do not reconcile (flagged in data_issues)
EXIT_BAD_INPUT = 4  # a landed file was rejected or rows are quarantined (as --fail-on says)
EXIT_UNAVAILABLE = 5  # a database, S3 or a file could not be reached, opened or locked
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM

EXIT_CODES_HELP = f"""\b
Exit codes:
  {EXIT_OK}  everything landed loaded and every ERROR check passed
  {EXIT_RUN_FAILED}  the run failed (an asset or a check raised)
  {EXIT_USAGE}  usage error (bad option, no asset matches --select)
  {EXIT_CHECK_FAILED}  an ERROR check failed, or invoices do not reconcile (flagged)
  {EXIT_BAD_INPUT}  a landed file was rejected (or rows quarantined, with --fail-on quarantine)
  {EXIT_UNAVAILABLE}  a database, S3 or the DuckDB file could not be reached or is locked
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C, SIGTERM)
"""
