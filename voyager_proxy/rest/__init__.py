"""The REST API for Laravel: Klein routes over the Voyager link (see L{voyager_proxy.rest.api.RestApi})."""
