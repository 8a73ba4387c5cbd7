"""The IM channel policy: instant messaging switched on for the platform and company."""

from __future__ import annotations

from chalicelib.domain.errors import FeatureDisabled
from chalicelib.domain.model import Conversation, Message
from chalicelib.services.company import CompanySettings
from chalicelib.services.messages import ChannelFields, Draft
from chalicelib.services.sms.media import SmsMedia
from chalicelib.settings import Settings


class ImPolicy:
    """Co-workers' messages are stored ``sent``; the rules are the IM switches and,
    for pictures and files, the attachments' (the sender's own uploads, in bounds)."""

    def __init__(
        self, settings: Settings, companies: CompanySettings, media: SmsMedia | None = None
    ) -> None:
        self._settings = settings
        self._companies = companies
        self._media = media

    def require(self, company_id: str) -> None:
        if not self._settings.im_enabled:
            raise FeatureDisabled("instant messaging is switched off", code="im_disabled")
        company = self._companies.get(company_id)
        if company is not None and not company.im_enabled:
            raise FeatureDisabled(
                "instant messaging is switched off for your company", code="im_disabled_company"
            )

    def admit(self, conversation: Conversation, draft: Draft) -> ChannelFields:
        self.require(conversation.company_id)
        if not draft.media:
            return ChannelFields()
        if self._media is None or draft.caller is None:
            raise FeatureDisabled("attachments are not configured", code="mms_disabled")
        return ChannelFields(
            media=self._media.attach(draft.caller, conversation, None, list(draft.media))
        )

    def recorded(self, message: Message) -> None:
        """Nothing to count for IM."""
