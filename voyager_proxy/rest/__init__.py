"""The REST API for Laravel: Klein routes over the Voyager link."""

from .api import RestApi

__all__ = ["RestApi"]
