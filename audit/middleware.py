"""Request context (request id, IP, actor) for audit entries (to be implemented)."""


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
