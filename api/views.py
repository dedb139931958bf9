"""The REST API, version 1. Views are thin: they check the request's shape (serializers), ask
the permission and the scoped querysets, and call api.services."""

import time

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors, services
from api.models import Integration, Scope
from api.serializers import (
    ActivitiesInSerializer,
    BulkInSerializer,
    BulkOutSerializer,
    HandoffOutSerializer,
    LeadInSerializer,
    LeadOutSerializer,
)
from leads import services as lead_services
from leads.exceptions import LeadError

IDEMPOTENCY_HEADER = "HTTP_IDEMPOTENCY_KEY"
IDEMPOTENCY_KEY_MAX = 255
STATUSES = ("created", "updated", "unchanged", "rejected")


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(OpenApiTypes.OBJECT, description=description)


# What any endpoint may answer besides its success: documented, so clients (and the schema's
# conformance test) know every status they can get.
ANSWERS = {
    400: _problem("What was wrong with the request, field by field."),
    401: _problem("No API key, or one that is not valid or was revoked."),
    403: _problem("The key's scopes, or the person's role, do not allow this."),
    429: _problem("Over the request budget; retry after the seconds in Retry-After."),
}
POST_ANSWERS = {**ANSWERS, 422: _problem("The Idempotency-Key was used for a different request.")}
READ_ANSWERS = {**ANSWERS, 404: _problem("No such lead, or not one the caller may see.")}

idempotency_parameter = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (up to 255 characters): a retry with the same key and body gets the first answer.",
)


class LoggedView(APIView):
    """Every call an integration makes is written to its request log: as its answer is sent,
    or, for a call that writes leads, in the transaction of its work (log_with_work)."""

    scope = ""

    def initial(self, request, *args, **kwargs):
        request._accord_started = time.monotonic()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not getattr(request, "_accord_logged", False):
            self._log(request, response.status_code)
        return response

    def log_with_work(self, request, status_code: int) -> None:
        """Write the call's log row now, inside the transaction of the leads it wrote: one write
        transaction a call instead of two, since on SQLite each waits for the write lock. Its
        duration is then the time until the work was written."""
        self._log(request, status_code)
        request._accord_logged = True

    def _log(self, request, status_code: int) -> None:
        integration = getattr(request, "auth", None)
        if isinstance(integration, Integration):
            started = getattr(request, "_accord_started", time.monotonic())
            services.api_request_log(
                integration=integration,
                key_prefix=getattr(request, "_accord_key_prefix", ""),
                method=request.method,
                path=request.path,
                status=status_code,
                duration_ms=round((time.monotonic() - started) * 1000),
            )

    def integration(self) -> Integration | None:
        auth = self.request.auth
        return auth if isinstance(auth, Integration) else None

    def person(self):
        return None if self.integration() else self.request.user


def _caller(request) -> str:
    auth = request.auth
    return f"integration:{auth.pk}" if isinstance(auth, Integration) else f"user:{request.user.pk}"


def _errors_of(result) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in result.errors:
        errors.setdefault(services.api_field(error["field"]), []).append(error["message"])
    return errors


class IdempotentPost(LoggedView):
    """A POST that honours the Idempotency-Key header: the first answer (success or a 400) is kept
    in the transaction of the work it answers and given again to a retry with the same body."""

    def post(self, request, *args, **kwargs):
        key = request.META.get(IDEMPOTENCY_HEADER, "").strip()
        if len(key) > IDEMPOTENCY_KEY_MAX:
            raise ValidationError({"Idempotency-Key": [f"At most {IDEMPOTENCY_KEY_MAX} characters."]})
        if not key:
            code, body = self.answer(request, *args, **kwargs)
            return Response(body, status=code)
        caller, print_ = _caller(request), services.fingerprint(request.method, request.path, request.body)
        try:
            replay = services.idempotent_answer(caller=caller, key=key, fingerprint=print_)
        except services.IdempotencyConflict as conflict:
            return Response({"detail": str(conflict)}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
        if replay is None:
            with transaction.atomic():
                code, body = self.answer(request, *args, **kwargs)
                if services.idempotent_store(caller=caller, key=key, fingerprint=print_, status=code, body=body):
                    return Response(body, status=code)
                transaction.set_rollback(True)  # a concurrent retry won: give its answer, undo ours
                request._accord_logged = False  # our log row goes with our work; the replay's is written
            replay = services.idempotent_answer(caller=caller, key=key, fingerprint=print_)
        response = Response(replay.body, status=replay.status)
        response["Idempotent-Replayed"] = "true"
        return response

    def answer(self, request, *args, **kwargs) -> tuple[int, object]:
        raise NotImplementedError


# Built once, used by every request: a serializer's fields are deep-copied each time one is made,
# which cost more than a single lead's own work. Checking and answering keep no state of their own.
LEAD_CHECKER = LeadInSerializer()
LEAD_ANSWER = LeadOutSerializer()
LEAD_ANSWER_COLUMNS = LEAD_ANSWER.columns()


def _lead_bodies(lead_ids: list[int], readable) -> dict[int, dict]:
    leads = selectors.leads_answered(lead_ids=lead_ids, readable=readable, columns=LEAD_ANSWER_COLUMNS)
    return {lead["id"]: LEAD_ANSWER.to_representation(lead) for lead in leads}


def _lead_status(result) -> int:
    if result.status == "rejected":
        return status.HTTP_400_BAD_REQUEST
    return status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK


class LeadCreate(IdempotentPost):
    scope = Scope.CREATE_LEADS

    @extend_schema(
        operation_id="leads_create",
        request=LeadInSerializer,
        responses={201: LeadOutSerializer, 200: LeadOutSerializer, **POST_ANSWERS},
        parameters=[idempotency_parameter],
        description="Create a lead, or update the one it matches (by external id, email or phone), with the "
        "importer's rules. 201 when created, 200 when it matched. The answer carries the lead's grade, score, "
        "bucket, priority, sales-ready flag and any hand-off routing made.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def answer(self, request, *args, **kwargs):
        try:
            lead = LEAD_CHECKER.run_validation(request.data)
        except ValidationError as refusal:
            return status.HTTP_400_BAD_REQUEST, refusal.detail
        # A refused row writes nothing: the intake plans each row before it writes any.
        (result,) = services.leads_receive(
            leads=[lead],
            by=self.person(),
            integration=self.integration(),
            on_written=lambda results: self.log_with_work(request, _lead_status(results[0])),
        )
        if result.status == "rejected":
            return status.HTTP_400_BAD_REQUEST, _errors_of(result)
        readable = selectors.leads_readable(user=request.user, integration=self.integration())
        body = _lead_bodies([result.lead_id], readable)[result.lead_id]
        return _lead_status(result), body


class LeadBulk(IdempotentPost):
    scope = Scope.CREATE_LEADS

    @extend_schema(
        operation_id="leads_bulk",
        request=BulkInSerializer,
        responses={200: BulkOutSerializer, **POST_ANSWERS},
        parameters=[idempotency_parameter],
        description=f"Up to {1000} leads, each created, updated, left unchanged or rejected with its errors, "
        "as the rows of an import are.",
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)

    def answer(self, request, *args, **kwargs):
        envelope = BulkInSerializer(data=request.data)
        if not envelope.is_valid():
            return status.HTTP_400_BAD_REQUEST, envelope.errors
        checked, results = [], [None] * len(envelope.validated_data["leads"])
        for index, lead in enumerate(envelope.validated_data["leads"]):
            try:
                checked.append((index, LEAD_CHECKER.run_validation(lead)))
            except ValidationError as refusal:
                results[index] = {"index": index, "status": "rejected", "id": None, "errors": refusal.detail}
        received = services.leads_receive(
            leads=[lead for _, lead in checked],
            by=self.person(),
            integration=self.integration(),
            on_written=lambda results: self.log_with_work(request, status.HTTP_200_OK),
        )
        for (index, _), result in zip(checked, received, strict=True):
            results[index] = {
                "index": index,
                "status": result.status,
                "id": result.lead_id,
                "errors": _errors_of(result),
            }
        counts = {
            name: sum(1 for row in results if row["status"] == name)
            for name in ("created", "updated", "unchanged", "rejected")
        }
        return status.HTTP_200_OK, {**counts, "results": results}


class LeadDetail(LoggedView):
    scope = Scope.READ_OUTCOMES

    @extend_schema(operation_id="leads_retrieve", responses={200: LeadOutSerializer, **READ_ANSWERS})
    def get(self, request, pk: int):
        readable = selectors.leads_readable(user=request.user, integration=self.integration())
        body = _lead_bodies([pk], readable).get(pk)
        if body is None:
            raise Http404("No such lead, or it is not yours to see.")
        return Response(body)


class LeadActivities(LoggedView):
    scope = Scope.LOG_ACTIVITIES

    @extend_schema(
        operation_id="leads_activities_create",
        request=ActivitiesInSerializer,
        responses={
            201: inline_serializer(
                "ActivitiesLogged", {"logged": serializers.IntegerField(), "lead": LeadOutSerializer()}
            ),
            **READ_ANSWERS,
        },
        description="Engagement the lead showed, each with its own time: it feeds the score and its half-life.",
    )
    def post(self, request, pk: int):
        readable = selectors.leads_readable(user=request.user, integration=self.integration())
        lead = get_object_or_404(readable, pk=pk)
        incoming = ActivitiesInSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        activities = incoming.validated_data["activities"]
        try:
            with transaction.atomic():
                for activity in activities:
                    lead_services.activity_log(
                        lead=lead,
                        by=self.person(),
                        kind=activity["kind"],
                        occurred_at=activity["occurred_at"],
                        note=activity.get("note", ""),
                    )
        except LeadError as error:
            raise ValidationError({"activities": [str(error)]}) from error
        body = _lead_bodies([lead.pk], readable)[lead.pk]
        return Response({"logged": len(activities), "lead": body}, status=status.HTTP_201_CREATED)


class UpdatedCursor(CursorPagination):
    ordering = ("updated_at", "id")
    page_size = 100
    max_page_size = 500
    page_size_query_param = "page_size"

    def decode_cursor(self, request):
        # A cursor that is not one Accord gave is a bad request, not a missing page.
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({"cursor": ["This is not a cursor from a previous page."]}) from error


class HandoffList(LoggedView, generics.ListAPIView):
    scope = Scope.READ_OUTCOMES
    serializer_class = HandoffOutSerializer
    pagination_class = UpdatedCursor

    @extend_schema(
        operation_id="handoffs_list",
        responses={200: HandoffOutSerializer(many=True), **ANSWERS},
        parameters=[
            OpenApiParameter(
                "updated_since", OpenApiTypes.DATETIME, description="Only hand-offs changed at or after this time."
            )
        ],
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        handoffs = selectors.handoffs_readable(user=self.request.user, integration=self.integration())
        since = self.request.query_params.get("updated_since")
        if since:
            moment = serializers.DateTimeField().to_internal_value(since)
            handoffs = handoffs.filter(updated_at__gte=moment)
        return handoffs
