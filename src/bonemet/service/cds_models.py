"""CDS Hooks 2.0 wire types (requests, discovery, cards, feedback) as pydantic models.

The response models double as a conformance check: required fields are required, enumerations are
closed, strings that the spec forbids to be empty have `min_length=1`, and the card summary is
capped below 140 characters. Optional fields are left out of the JSON when unset (the spec forbids
`null` and empty values), which the routes ensure with `exclude_none`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonEmpty = Field(min_length=1)
SUMMARY_MAX = 139  # "<140-character"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Coding(_Wire):
    system: str = NonEmpty
    code: str = NonEmpty
    display: str | None = Field(None, min_length=1)


class Source(_Wire):
    label: str = NonEmpty
    url: str | None = Field(None, pattern=r"^https?://")
    icon: str | None = Field(None, pattern=r"^https?://")
    topic: Coding | None = None


class Action(_Wire):
    type: Literal["create", "update", "delete"]
    description: str = NonEmpty
    resource: dict[str, Any] | None = None
    resourceId: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _resource_by_type(self) -> Action:
        if self.type in ("create", "update") and not self.resource:
            raise ValueError(f"a {self.type} action carries the whole resource")
        if self.type == "delete" and (self.resource is not None or not self.resourceId):
            raise ValueError("a delete action names the resource by resourceId only")
        return self


class Suggestion(_Wire):
    label: str = NonEmpty
    uuid: str | None = Field(None, min_length=1)
    isRecommended: bool | None = None
    actions: list[Action] | None = Field(None, min_length=1)


class Link(_Wire):
    label: str = NonEmpty
    url: str = Field(pattern=r"^https?://")
    type: Literal["absolute", "smart"]
    appContext: str | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _app_context_for_smart(self) -> Link:
        if self.type == "absolute" and self.appContext is not None:
            raise ValueError("appContext is only for smart links")
        return self


class Card(_Wire):
    uuid: str | None = Field(None, min_length=1)
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    detail: str | None = Field(None, min_length=1)
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = Field(None, min_length=1)
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = Field(None, min_length=1)
    links: list[Link] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _selection_with_suggestions(self) -> Card:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError("selectionBehavior is required when suggestions are present")
        if self.overrideReasons and any(not c.display for c in self.overrideReasons):
            raise ValueError("every override reason needs a display")
        return self


class CdsResponse(_Wire):
    cards: list[Card]
    systemActions: list[Action] | None = Field(None, min_length=1)


class Service(_Wire):
    hook: str = NonEmpty
    title: str | None = Field(None, min_length=1)
    description: str = NonEmpty
    id: str = NonEmpty
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = Field(None, min_length=1)


class Discovery(_Wire):
    services: list[Service]


class FhirAuthorization(BaseModel):
    model_config = ConfigDict(extra="allow")

    access_token: str = NonEmpty
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


class CdsRequest(BaseModel):
    """A hook call. Unknown top-level fields are tolerated (forward compatibility with 3.0)."""

    model_config = ConfigDict(extra="allow")

    hook: str = NonEmpty
    hookInstance: str = NonEmpty
    fhirServer: str | None = Field(None, pattern=r"^https?://")
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_authorization(self) -> CdsRequest:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given")
        return self


class OverrideReason(BaseModel):
    model_config = ConfigDict(extra="allow")

    reason: Coding | None = None
    userComment: str | None = None


class AcceptedSuggestion(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str = NonEmpty


class FeedbackItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    card: str = NonEmpty
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = None
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: str = Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
    )

    @model_validator(mode="after")
    def _accepted_needs_suggestions(self) -> FeedbackItem:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError("acceptedSuggestions is required when outcome is 'accepted'")
        return self


class Feedback(BaseModel):
    feedback: list[FeedbackItem] = Field(min_length=1)


class FeedbackReceipt(BaseModel):
    received: int
    stored: int
    duplicates: int
