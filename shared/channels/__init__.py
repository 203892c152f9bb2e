"""Outbound notification channels: thin, explicit HTTP clients.

Each client takes its endpoint, secret and timeouts as constructor arguments
(no settings import) and reports failures only as ``ChannelTransient``,
``ChannelRejected`` or ``DeliveryUnknown`` from :mod:`shared.errors`.
"""

from dramaturg.shared.channels.telegram import TelegramClient
from dramaturg.shared.channels.voice import VoiceClient
from dramaturg.shared.channels.webhook import WebhookClient

__all__ = ["TelegramClient", "VoiceClient", "WebhookClient"]
