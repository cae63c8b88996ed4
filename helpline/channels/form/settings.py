"""A web form's settings (kept in its inbox's `settings`): the fields a customer fills in and
where each value goes."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from helpline.contacts.actions import clean_email, clean_phone
from helpline.core.errors import InvalidField

FieldType = Literal["text", "textarea", "email", "phone", "number", "date", "select", "checkbox"]
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
_TARGET = re.compile(r"^(name|email|phone|message|subject|custom\.[a-z][a-z0-9_]{0,49})$")
MAX_VALUE = 5000


class FormField(BaseModel):
    model_config = {"extra": "forbid"}

    key: str
    label: str = Field(min_length=1, max_length=200)
    type: FieldType = "text"
    required: bool = False
    options: list[str] | None = Field(None, max_length=50)
    # Where the value goes: the contact's name/email/phone, the message, the subject line, or a
    # custom field of the conversation (`custom.<key>`); None: only into the message text.
    maps_to: str | None = None

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("a key is lowercase latin letters, digits and _, starting with a letter")
        return value

    @field_validator("maps_to")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        if value is not None and not _TARGET.match(value):
            raise ValueError("maps_to is name, email, phone, message, subject or custom.<key>")
        return value

    @model_validator(mode="after")
    def _options(self) -> FormField:
        if self.type == "select" and not self.options:
            raise ValueError("a select needs options")
        if self.type != "select":
            self.options = None
        return self


def _default_fields() -> list[FormField]:
    return [
        FormField(key="name", label="Имя / Name", type="text", required=True, maps_to="name"),
        FormField(key="email", label="E-mail", type="email", required=True, maps_to="email"),
        FormField(key="message", label="Сообщение / Message", type="textarea", required=True, maps_to="message"),
    ]


class FormSettings(BaseModel):
    model_config = {"extra": "forbid"}

    title: str = Field("Напишите нам", max_length=200)
    description: str = Field("", max_length=2000)
    fields: list[FormField] = Field(default_factory=_default_fields, min_length=1, max_length=30)
    attachments: bool = Field(True, strict=True)
    success_text: str = Field("Спасибо! Мы ответим вам по e-mail.", max_length=1000)
    language: Literal["ru", "en"] = "ru"
    color: str = Field("#2563eb", pattern=r"^#[0-9a-fA-F]{6}$")

    @field_validator("fields")
    @classmethod
    def _unique(cls, fields: list[FormField]) -> list[FormField]:
        keys = [f.key for f in fields]
        if len(set(keys)) != len(keys):
            raise ValueError("field keys must differ")
        targets = [f.maps_to for f in fields if f.maps_to]
        if len(set(targets)) != len(targets):
            raise ValueError("two fields go to the same place")
        return fields

    @classmethod
    def of(cls, raw: dict[str, Any] | None) -> FormSettings:
        return cls.model_validate(raw or {})


def clean_values(form: FormSettings, raw: dict[str, Any]) -> dict[str, Any]:
    """The submitted values checked against the form: each field's key to its value (as text,
    number, bool or ISO date); an unknown key or a bad value is refused naming the field."""
    unknown = set(raw) - {f.key for f in form.fields}
    if unknown:
        key = sorted(unknown)[0][:50]
        raise InvalidField(f"The form has no field {key!r}.", field=f"values.{key}")
    values: dict[str, Any] = {}
    for field in form.fields:
        value = raw.get(field.key)
        name = f"values.{field.key}"
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", False) and field.type != "checkbox":
            if field.required:
                raise InvalidField(f"{field.label}: required.", field=name)
            continue
        if field.type == "checkbox":
            checked = value in (True, "on", "true", "1", "yes")
            if field.required and not checked:
                raise InvalidField(f"{field.label}: required.", field=name)
            values[field.key] = checked
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool) or len(str(value)) > MAX_VALUE:
            raise InvalidField(f"{field.label}: text up to {MAX_VALUE} characters.", field=name)
        text = str(value)
        if field.type in ("text", "email", "phone", "select", "date", "number") and "\n" in text:
            raise InvalidField(f"{field.label}: one line.", field=name)
        if field.type == "email":
            try:
                text = clean_email(text) or ""
            except InvalidField:
                raise InvalidField(f"{field.label}: an e-mail address.", field=name) from None
        elif field.type == "phone":
            try:
                text = clean_phone(text) or ""
            except InvalidField:
                raise InvalidField(f"{field.label}: a phone number.", field=name) from None
        elif field.type == "number":
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                raise InvalidField(f"{field.label}: a number.", field=name) from None
            if number != number or abs(number) > 1e15:
                raise InvalidField(f"{field.label}: a number.", field=name)
            values[field.key] = int(number) if number.is_integer() else number
            continue
        elif field.type == "date":
            try:
                text = date.fromisoformat(text).isoformat()
            except ValueError:
                raise InvalidField(f"{field.label}: a date, YYYY-MM-DD.", field=name) from None
        elif field.type == "select" and text not in (field.options or []):
            raise InvalidField(f"{field.label}: one of the options.", field=name)
        values[field.key] = text
    return values
