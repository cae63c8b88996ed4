"""How an account classifies requests: a category tree and custom fields.

Admins edit both; agents set a conversation's category and field values (validated here
against the account's definitions).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpline.core.audit import Actor, record_change
from helpline.core.clock import utcnow
from helpline.core.errors import InvalidField, NotFound
from helpline.desk.models import Category, CustomField, FieldType

MAX_DEPTH = 5
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


# --- Categories ------------------------------------------------------------------------------


class CategoryIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    parent_id: int | None = None
    position: int = Field(0, ge=0, le=10_000)
    is_active: bool = True

    @field_validator("name")
    @classmethod
    def _squash(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("a name is required")
        return value


def category_out(category: Category) -> dict[str, Any]:
    return {
        "id": category.id,
        "name": category.name,
        "parent_id": category.parent_id,
        "position": category.position,
        "is_active": category.is_active,
    }


async def categories_of(session: AsyncSession, account_id: int) -> list[Category]:
    return list(
        (
            await session.scalars(
                select(Category).where(Category.account_id == account_id).order_by(Category.position, Category.name)
            )
        ).all()
    )


async def category_of(session: AsyncSession, account_id: int, category_id: int) -> Category:
    category = await session.get(Category, category_id)
    if category is None or category.account_id != account_id:
        raise NotFound("No such category.")
    return category


async def _check_parent(session: AsyncSession, account_id: int, category_id: int | None, parent_id: int | None) -> None:
    """The parent exists in the account, is not the category itself or below it, and the
    tree stays at most MAX_DEPTH deep."""
    depth = 1
    while parent_id is not None:
        if parent_id == category_id:
            raise InvalidField("A category cannot be inside itself.", field="parent_id")
        try:
            parent = await category_of(session, account_id, parent_id)
        except NotFound:
            raise InvalidField("No such parent category.", field="parent_id") from None
        depth += 1
        if depth > MAX_DEPTH:
            raise InvalidField(f"Categories nest at most {MAX_DEPTH} levels deep.", field="parent_id")
        parent_id = parent.parent_id


async def _name_taken(session: AsyncSession, account_id: int, parent_id: int | None, name: str, exclude: int | None) -> bool:
    query = select(Category.id).where(Category.account_id == account_id, Category.name == name)
    query = query.where(Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id)
    if exclude is not None:
        query = query.where(Category.id != exclude)
    return await session.scalar(query.limit(1)) is not None


async def save_category(
    session: AsyncSession, *, actor: Actor, account_id: int, data: CategoryIn, category: Category | None = None
) -> Category:
    """Create a category, or change one (its name, place in the tree, order, active)."""
    await _check_parent(session, account_id, category.id if category else None, data.parent_id)
    if await _name_taken(session, account_id, data.parent_id, data.name, category.id if category else None):
        raise InvalidField("A category with this name is already there.", field="name")
    if category is None:
        category = Category(account_id=account_id, created_at=utcnow(), **data.model_dump())
        session.add(category)
        await session.flush()
        record_change(
            session, account_id=account_id, actor=actor, entity_type="category", entity_id=category.id,
            field="created", old=None, new=category.name,
        )
        return category
    for field, new in data.model_dump().items():
        old = getattr(category, field)
        if old != new:
            record_change(
                session, account_id=account_id, actor=actor, entity_type="category", entity_id=category.id,
                field=field, old=old, new=new,
            )
            setattr(category, field, new)
    await session.flush()
    return category


def category_paths(categories: list[Category]) -> dict[int, str]:
    """Each category's full name, "Payments › Refunds"."""
    by_id = {c.id: c for c in categories}
    paths: dict[int, str] = {}
    for category in categories:
        names, node, seen = [], category, set()
        while node is not None and node.id not in seen:
            seen.add(node.id)
            names.append(node.name)
            node = by_id.get(node.parent_id) if node.parent_id else None
        paths[category.id] = " › ".join(reversed(names))
    return paths


# --- Custom fields ---------------------------------------------------------------------------


class CustomFieldIn(BaseModel):
    key: str = Field(min_length=1, max_length=50)
    label: str = Field(min_length=1, max_length=100)
    type: FieldType
    options: list[str] | None = Field(None, max_length=100)
    required: bool = False
    position: int = Field(0, ge=0, le=10_000)
    is_active: bool = True

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError("a key is lowercase latin letters, digits and _, starting with a letter")
        return value

    @field_validator("options")
    @classmethod
    def _options(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [" ".join(option.split()) for option in value]
        if any(not option or len(option) > 100 for option in cleaned):
            raise ValueError("options are 1 to 100 characters")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("options must differ")
        return cleaned

    @model_validator(mode="after")
    def _options_for_selects(self) -> CustomFieldIn:
        selects = self.type in (FieldType.select, FieldType.multiselect)
        if selects and not self.options:
            raise ValueError("a select field needs options")
        if not selects:
            self.options = None
        return self


def custom_field_out(field: CustomField) -> dict[str, Any]:
    return {
        "id": field.id,
        "key": field.key,
        "label": field.label,
        "type": field.type,
        "options": field.options,
        "required": field.required,
        "position": field.position,
        "is_active": field.is_active,
    }


async def custom_fields_of(session: AsyncSession, account_id: int, *, active_only: bool = False) -> list[CustomField]:
    query = select(CustomField).where(CustomField.account_id == account_id)
    if active_only:
        query = query.where(CustomField.is_active.is_(True))
    return list((await session.scalars(query.order_by(CustomField.position, CustomField.id))).all())


async def save_custom_field(
    session: AsyncSession, *, actor: Actor, account_id: int, data: CustomFieldIn, field: CustomField | None = None
) -> CustomField:
    """Create a field or change one; a field's key and type are fixed once created (stored
    values would no longer fit)."""
    if field is None:
        taken = await session.scalar(
            select(CustomField.id).where(CustomField.account_id == account_id, CustomField.key == data.key)
        )
        if taken is not None:
            raise InvalidField("A field with this key exists.", field="key")
        field = CustomField(account_id=account_id, created_at=utcnow(), **data.model_dump())
        session.add(field)
        await session.flush()
        record_change(
            session, account_id=account_id, actor=actor, entity_type="custom_field", entity_id=field.id,
            field="created", old=None, new=field.key,
        )
        return field
    if data.key != field.key or data.type != field.type:
        raise InvalidField("A field's key and type cannot change; add a new field instead.", field="type")
    for name, new in data.model_dump(exclude={"key", "type"}).items():
        old = getattr(field, name)
        if old != new:
            record_change(
                session, account_id=account_id, actor=actor, entity_type="custom_field", entity_id=field.id,
                field=name, old=old, new=new,
            )
            setattr(field, name, new)
    await session.flush()
    return field


def _field_value(definition: CustomField, value: Any) -> Any:
    """One value checked and normalised for its field; None clears it."""
    name = definition.label
    if value is None or value == "" or value == []:
        return None
    kind = definition.type
    if kind == FieldType.text:
        if not isinstance(value, str) or len(value) > 2000:
            raise InvalidField(f"{name}: text up to 2000 characters.", field=f"fields.{definition.key}")
        return value.strip() or None
    if kind == FieldType.number:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidField(f"{name}: a number.", field=f"fields.{definition.key}")
        if value != value or abs(value) > 1e15:  # NaN, or too large to keep exactly
            raise InvalidField(f"{name}: a number.", field=f"fields.{definition.key}")
        return value
    if kind == FieldType.date:
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise InvalidField(f"{name}: a date, YYYY-MM-DD.", field=f"fields.{definition.key}")
    options = definition.options or []
    if kind == FieldType.select:
        if value not in options:
            raise InvalidField(f"{name}: one of the options.", field=f"fields.{definition.key}")
        return value
    if not isinstance(value, list) or any(v not in options for v in value):
        raise InvalidField(f"{name}: a list of the options.", field=f"fields.{definition.key}")
    return [option for option in options if option in value]  # in the options' order, once


def clean_field_values(
    definitions: list[CustomField], current: dict[str, Any], changes: dict[str, Any], *, enforce_required: bool
) -> dict[str, Any]:
    """The conversation's field values after `changes`; unknown keys and bad values are
    refused, and with `enforce_required` so is a required field left empty."""
    by_key = {d.key: d for d in definitions if d.is_active}
    result = dict(current)
    for key, value in changes.items():
        definition = by_key.get(key)
        if definition is None:
            raise InvalidField(f"No custom field {key[:50]!r}.", field=f"fields.{key[:50]}")
        cleaned = _field_value(definition, value)
        if cleaned is None:
            result.pop(key, None)
        else:
            result[key] = cleaned
    if enforce_required:
        for definition in by_key.values():
            if definition.required and definition.key not in result:
                raise InvalidField(f"{definition.label} is required.", field=f"fields.{definition.key}")
    return result
