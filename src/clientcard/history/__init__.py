"""Appointments, payments, documents and conversations, and the statistics drawn from them.

This package holds the concept's pure types (no I/O, no clock reads); its service,
the object a host calls, is reached through a business handle
(``book.business(id).history``) and lives in :mod:`clientcard.history.service`.

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from clientcard.history.model import (
    APPOINTMENT_KIND,
    CONVERSATION_KIND,
    DOCUMENT_KIND,
    PAYMENT_KIND,
    Appointment,
    AppointmentStatus,
    ConversationDirection,
    ConversationEntry,
    ConversationKind,
    Payment,
    PaymentMethod,
    PaymentStatus,
    ServiceLine,
    SharedDocument,
)
from clientcard.history.records import (
    VisitFacts,
    appointment_from_record,
    appointment_to_record,
    conversation_from_record,
    conversation_to_record,
    document_from_record,
    document_to_record,
    payment_from_record,
    payment_to_record,
    visit_from_record,
)
from clientcard.history.statistics import (
    Aggregates,
    ClientFacts,
    ClientStatistics,
    Cohort,
    MonthFigures,
    Visit,
    aggregate,
    client_statistics,
)
from clientcard.history.views import CardOverview, ClientHistory

__all__ = [
    "APPOINTMENT_KIND",
    "CONVERSATION_KIND",
    "DOCUMENT_KIND",
    "PAYMENT_KIND",
    "Aggregates",
    "Appointment",
    "AppointmentStatus",
    "CardOverview",
    "ClientFacts",
    "ClientHistory",
    "ClientStatistics",
    "Cohort",
    "ConversationDirection",
    "ConversationEntry",
    "ConversationKind",
    "MonthFigures",
    "Payment",
    "PaymentMethod",
    "PaymentStatus",
    "ServiceLine",
    "SharedDocument",
    "Visit",
    "VisitFacts",
    "aggregate",
    "appointment_from_record",
    "appointment_to_record",
    "client_statistics",
    "conversation_from_record",
    "conversation_to_record",
    "document_from_record",
    "document_to_record",
    "payment_from_record",
    "payment_to_record",
    "visit_from_record",
]
