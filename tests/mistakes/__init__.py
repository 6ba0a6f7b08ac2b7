"""Classic mistakes, one module per assignment id (dashes become underscores).

Each module defines MISTAKES: a list of (description, question, functions, message), where
`functions` maps the contract's function names to a wrong implementation, and `message` is a
fragment that the failure message of some test must contain, so that the student is pointed
at the mistake. Functions not named in `functions` come from the answer key.
"""
