"""REST endpoints for partners, agreements, commitments (with computed fulfilment) and liaison records, one module
per resource. A liaison sees their own partner only; any other id answers 404, exactly as if it did not exist
(core/resources.py, docs/architecture.md)."""

from ninja import Router

from . import agreements, commitments, meetings, partners

router = Router(tags=["partners"])
for module in (partners, agreements, commitments, meetings):
    router.add_router("", module.router)
