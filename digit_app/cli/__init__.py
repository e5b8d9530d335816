"""The command line's commands, a module per group; `digit_app.__main__` builds the parser from them and dispatches."""
