"""Start the chat: ``python app.py`` (the same as ``askconvergence serve``)."""

from askconvergence.cli import main

if __name__ == "__main__":
    import sys

    sys.argv = [sys.argv[0], "serve", *sys.argv[1:]]
    main()
