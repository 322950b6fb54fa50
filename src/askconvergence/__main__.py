from askconvergence.cli import main

main()
