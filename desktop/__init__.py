"""Reading Room, the application: the Qt window, the command line, user data and settings."""

APP_NAME = "readingroom"
APP_ID = "org.readingroom.ReadingRoom"
# The one place the version is written: pyproject.toml and the bundle's spec read it from
# here (a constant, not importlib.metadata, which took 50 ms of every start).
__version__ = "0.1.0"
