"""A correct FastAPI service whose schemas use pattern, formats, multipleOf, uniqueItems,
unions, nullable fields and a closed object: a faithful contract test passes it."""

from __future__ import annotations

import datetime
import uuid
from typing import Annotated

from fastapi import FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI(title="strict")


class Order(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(pattern=r"^[A-Z]{3}-[0-9]{2}$")
    day: datetime.date
    id: uuid.UUID
    quantity: int = Field(multiple_of=5, ge=0, le=1000)
    step: float = Field(multiple_of=0.25, ge=0, le=10)
    tags: set[Annotated[int, Field(ge=0, le=9)]] = Field(max_length=4)
    choice: int | str
    note: str | None = None


class Receipt(BaseModel):
    code: str = Field(pattern=r"^[A-Z]{3}-[0-9]{2}$")
    total: int = Field(multiple_of=5)


@app.post("/orders")
def order(item: Order, region: Annotated[str, Query(pattern=r"^[a-z]{2}$")]) -> Receipt:
    return Receipt(code=item.code, total=item.quantity)
