"""Reading Room, the application: the Qt window, the command line, user data and settings."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "readingroom"
APP_ID = "org.readingroom.ReadingRoom"

try:
    __version__ = version("readingroom")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
