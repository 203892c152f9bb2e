"""Outbound notification channels: thin, explicit HTTP clients.

Each client takes its endpoint, secret and timeouts as constructor arguments
(no settings import) and reports failures only as ``ChannelTransient``,
``ChannelRejected`` or ``DeliveryUnknown`` from :mod:`shared.errors`.
"""

from shared.channels.telegram import TelegramClient
from shared.channels.voice import VoiceClient
from shared.channels.webhook import WebhookClient

__all__ = ["TelegramClient", "VoiceClient", "WebhookClient"]
