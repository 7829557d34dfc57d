"""The JSON document file drops and webhooks carry: the same shape everywhere, documented in docs/publishing.md."""

import json
from datetime import UTC, datetime

from ..plugins import Parcel


def payload(parcel: Parcel) -> dict:
    return {
        "id": parcel.idempotency_key,
        "action": parcel.action,
        "channel": parcel.channel_slug,
        "kind": parcel.kind,
        "priority": parcel.priority,
        "source": {"type": parcel.source_type, "id": parcel.source_id, "version": parcel.source_version},
        "publication": parcel.publication_id,
        "rendition": parcel.rendition_id,
        "fields": parcel.fields,
        "images": [image.name for image in parcel.images],
        "enqueued_at": parcel.enqueued_at,
        "sent_at": datetime.now(UTC).isoformat(),
    }


def payload_bytes(parcel: Parcel) -> bytes:
    return json.dumps(payload(parcel), ensure_ascii=False, separators=(",", ":")).encode()
