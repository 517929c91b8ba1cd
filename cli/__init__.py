"""The `svgai` command line: the shared pipeline in-process, no server needed."""
