"""Drift in the schema: reference profiles, thresholds and `driftReport`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.file_uploads import Upload

from domain import drift
from domain.errors import NotFound
from graph.context import Info, IsAuthenticated
from graph.errors import Error, Maps, NotFoundError, ValidationError, parse_id
from graph.registry import ForbiddenError
from graph.registry.mutations import upload_chunks
from graph.registry.results import PayloadTooLargeError
from storage import tables


@strawberry.enum(description="How a feature is compared with its reference.")
class DriftFeatureKind(Enum):
    NUMERIC = strawberry.enum_value(
        "numeric", description="Compared by quantile bins: PSI and a two-sample KS test."
    )
    CATEGORICAL = strawberry.enum_value(
        "categorical", description="Compared by category counts: PSI and a chi-square test."
    )


@strawberry.enum(description="Where a reference profile came from.")
class DriftProfileSource(Enum):
    UPLOAD = strawberry.enum_value(
        "upload", description="From a reference CSV uploaded with uploadDriftReference."
    )
    LOG = strawberry.enum_value(
        "log", description="From the version's logged inputs (createDriftProfileFromLog)."
    )


@strawberry.type(description="One quantile bin of a numeric feature: [lower, upper).")
class DriftBin:
    lower: float | None = strawberry.field(description="Inclusive lower edge; null: unbounded.")
    upper: float | None = strawberry.field(description="Exclusive upper edge; null: unbounded.")
    reference_count: int = strawberry.field(description="Reference values in the bin.")
    window_count: int = strawberry.field(description="Window values in the bin.")


@strawberry.type(description="One value of a categorical feature.")
class DriftCategory:
    value: str = strawberry.field(
        description="The value (strings as they are, others as JSON text); `__other__` pools "
        "values past the 100 most frequent and values the reference never had."
    )
    reference_count: int = strawberry.field(description="Reference rows with the value.")
    window_count: int = strawberry.field(description="Window rows with the value.")


@strawberry.type(description="How one feature (or the predictions) compares with its reference.")
class FeatureDrift:
    name: str = strawberry.field(description="The feature's name; `prediction` for outputs.")
    kind: DriftFeatureKind = strawberry.field(description="How it is compared.")
    reference_count: int = strawberry.field(description="Reference values (missing excluded).")
    window_count: int = strawberry.field(description="Window values (missing excluded).")
    window_missing: int = strawberry.field(description="Missing (null) values in the window.")
    psi: float | None = strawberry.field(
        description="Population stability index over the bins or categories; null when the "
        "window has no values."
    )
    ks_statistic: float | None = strawberry.field(
        description="Numeric: the two-sample Kolmogorov-Smirnov statistic against the stored "
        "reference sample."
    )
    ks_p_value: float | None = strawberry.field(description="Numeric: its p-value (scipy's).")
    chi_square: float | None = strawberry.field(
        description="Categorical: Pearson's chi-square against the (smoothed) reference."
    )
    chi_square_p_value: float | None = strawberry.field(description="Categorical: its p-value.")
    drifted: bool = strawberry.field(description="Whether a threshold was passed.")
    bins: list[DriftBin] = strawberry.field(description="Numeric: the quantile bins.")
    categories: list[DriftCategory] = strawberry.field(description="Categorical: the values.")

    @classmethod
    def from_domain(cls, feature: drift.FeatureDrift) -> FeatureDrift:
        return cls(
            name=feature.name,
            kind=DriftFeatureKind(feature.kind),
            reference_count=feature.reference_count,
            window_count=feature.window_count,
            window_missing=feature.window_missing,
            psi=feature.psi,
            ks_statistic=feature.ks_statistic,
            ks_p_value=feature.ks_p_value,
            chi_square=feature.chi_square,
            chi_square_p_value=feature.chi_square_p_value,
            drifted=feature.drifted,
            bins=[
                DriftBin(
                    lower=b.lower, upper=b.upper, reference_count=b.reference, window_count=b.window
                )
                for b in feature.bins
            ],
            categories=[
                DriftCategory(value=c.value, reference_count=c.reference, window_count=c.window)
                for c in feature.categories
            ],
        )


@strawberry.type(description="When a model's inputs count as drifted.")
class DriftThresholds:
    psi: float = strawberry.field(description="A feature drifts at a PSI of at least this.")
    ks_p_value: float = strawberry.field(description="...or a KS p-value below this.")
    chi_square_p_value: float = strawberry.field(description="...or a chi-square p-value below.")
    min_rows: int = strawberry.field(description="A window of fewer rows never drifts.")

    @classmethod
    def from_domain(cls, t: drift.Thresholds) -> DriftThresholds:
        return cls(
            psi=t.psi,
            ks_p_value=t.ks_p_value,
            chi_square_p_value=t.chi_square_p_value,
            min_rows=t.min_rows,
        )


@strawberry.type(description="A reference feature as the profile keeps it.")
class ProfiledFeature:
    name: str = strawberry.field(
        description="The feature's name (x0, x1… without names); `prediction` for outputs."
    )
    kind: DriftFeatureKind = strawberry.field(description="How it is compared.")
    count: int = strawberry.field(description="Reference values (missing excluded).")
    missing: int = strawberry.field(description="Missing reference values.")


@strawberry.type(description="A version's reference profile: what its inputs looked like.")
class DriftProfile:
    id: strawberry.ID = strawberry.field(description="Opaque id.")
    version_id: strawberry.ID = strawberry.field(description="The profiled version.")
    source: DriftProfileSource = strawberry.field(description="Where the reference came from.")
    rows: int = strawberry.field(description="Reference rows profiled (sampled past the cap).")
    created_at: datetime = strawberry.field(description="When it was profiled (UTC).")
    features: list[ProfiledFeature] = strawberry.field(description="In the model's input order.")
    prediction: ProfiledFeature | None = strawberry.field(
        description="The reference prediction distribution."
    )
    drifted_since: datetime | None = strawberry.field(
        description="When the scheduled check last found drift that has not yet gone."
    )

    @classmethod
    def from_table(cls, row: tables.DriftProfile) -> DriftProfile:
        return cls(
            id=strawberry.ID(str(row.id)),
            version_id=strawberry.ID(str(row.version_id)),
            source=DriftProfileSource(str(row.source)),
            rows=row.rows,
            created_at=row.created_at,
            features=[_profiled(f) for f in row.features],
            prediction=_profiled(row.prediction) if row.prediction else None,
            drifted_since=row.drifted_since,
        )


def _profiled(feature: dict[str, Any]) -> ProfiledFeature:
    return ProfiledFeature(
        name=feature["name"],
        kind=DriftFeatureKind(feature["kind"]),
        count=feature["count"],
        missing=feature["missing"],
    )


@strawberry.type(description="A window of logged inputs and predictions against a profile.")
class DriftReport:
    model_id: strawberry.ID = strawberry.field(description="The model.")
    version_id: strawberry.ID = strawberry.field(description="The profiled version compared.")
    version_number: int = strawberry.field(description="The compared version's number.")
    since: datetime = strawberry.field(description="Window start (inclusive, UTC).")
    until: datetime = strawberry.field(description="Window end (exclusive, UTC).")
    rows: int = strawberry.field(
        description="Logged input rows in the window (the version's successful predictions "
        "whose inputs the log kept; newest first, capped)."
    )
    enough_data: bool = strawberry.field(description="rows >= thresholds.minRows.")
    drifted: bool = strawberry.field(
        description="enoughData, and some feature or the predictions drifted."
    )
    drifted_features: list[str] = strawberry.field(description="Names of what drifted.")
    thresholds: DriftThresholds = strawberry.field(description="The thresholds applied.")
    features: list[FeatureDrift] = strawberry.field(
        description="Each input feature, in the model's order."
    )
    prediction: FeatureDrift | None = strawberry.field(
        description="The prediction distribution against the reference's."
    )
    profile: DriftProfile = strawberry.field(description="The reference profile compared against.")

    @classmethod
    def from_domain(cls, report: drift.DriftReport) -> DriftReport:
        return cls(
            model_id=strawberry.ID(str(report.model_id)),
            version_id=strawberry.ID(str(report.version_id)),
            version_number=report.number,
            since=report.since,
            until=report.until,
            rows=report.rows,
            enough_data=report.enough_data,
            drifted=report.drifted,
            drifted_features=report.drifted_features,
            thresholds=DriftThresholds.from_domain(report.thresholds),
            features=[FeatureDrift.from_domain(f) for f in report.features],
            prediction=FeatureDrift.from_domain(report.prediction) if report.prediction else None,
            profile=DriftProfile.from_table(report.profile),
        )


# -- errors and results ---------------------------------------------------------------


@strawberry.type(description="The reference dataset could not be read; nothing was stored.")
class ReferenceRejectedError(Error):
    reason: str = strawberry.field(
        description="invalid_csv (with the line), invalid_rows (the model refused them), "
        "timeout, memory or failed."
    )


@strawberry.type(description="The log holds too few rows of the version.")
class NotEnoughDataError(Error):
    rows: int = strawberry.field(description="Logged input rows of the version.")
    needed: int = strawberry.field(description="Rows a profile from the log takes.")


@strawberry.type(description="The version's new reference profile (it replaces the previous one).")
class DriftProfileSuccess:
    profile: DriftProfile = strawberry.field(description="The profile.")


@strawberry.type(description="The model's thresholds, as they now are.")
class DriftThresholdsSuccess:
    thresholds: DriftThresholds = strawberry.field(description="The thresholds.")


DriftProfileResult = Annotated[
    DriftProfileSuccess
    | ValidationError
    | ReferenceRejectedError
    | NotEnoughDataError
    | PayloadTooLargeError
    | NotFoundError
    | ForbiddenError,
    strawberry.union("DriftProfileResult", description="The new profile, or why none was made."),
]
SetDriftThresholdsResult = Annotated[
    DriftThresholdsSuccess | ValidationError | NotFoundError | ForbiddenError,
    strawberry.union(
        "SetDriftThresholdsResult", description="The new thresholds, or why nothing changed."
    ),
]

HANDLERS: tuple[Maps[Any], ...] = (
    Maps(
        drift.ReferenceRejected,
        ReferenceRejectedError,
        lambda e: ReferenceRejectedError(message=e.message, reason=e.reason),
    ),
    Maps(
        drift.NotEnoughData,
        NotEnoughDataError,
        lambda e: NotEnoughDataError(message=e.message, rows=e.rows, needed=e.needed),
    ),
)


@strawberry.input(description="A reference dataset for a version (GraphQL multipart request).")
class UploadDriftReferenceInput:
    version_id: strawberry.ID = strawberry.field(description="The version to profile.")
    file: Upload = strawberry.field(
        description="CSV, UTF-8, a header row naming every model input (x0, x1... for a model "
        "without names; other columns are ignored), at most MODELSERVE_DRIFT_REFERENCE_MAX_BYTES."
    )


@strawberry.input(description="New thresholds; what is left out keeps its value.")
class SetDriftThresholdsInput:
    model_id: strawberry.ID = strawberry.field(description="The model (maintainers).")
    psi: float | None = strawberry.field(default=None, description="Above 0, at most 10.")
    ks_p_value: float | None = strawberry.field(default=None, description="Between 0 and 1.")
    chi_square_p_value: float | None = strawberry.field(
        default=None, description="Between 0 and 1."
    )
    min_rows: int | None = strawberry.field(default=None, description="1..1000000.")


@strawberry.input(description="The window of the prediction log a report reads.")
class DriftWindow:
    since: datetime | None = strawberry.field(
        default=None, description="Inclusive; default `until` minus the check window."
    )
    until: datetime | None = strawberry.field(default=None, description="Exclusive; default now.")


@strawberry.type
class DriftQuery:
    @strawberry.field(
        description="A window of a model's logged inputs and predictions compared with a "
        "version's reference profile: PSI and Kolmogorov-Smirnov per numeric feature, PSI and "
        "chi-square per categorical one, and whether the model's thresholds were passed. "
        "Anyone who can see the model. Null when the model is not visible to you or the "
        "version has no profile.",
        permission_classes=[IsAuthenticated],
    )
    async def drift_report(
        self,
        info: Info,
        model: Annotated[str, strawberry.argument(description="A model id or `owner/name`.")],
        version: Annotated[
            int | None,
            strawberry.argument(description="The version number; default the newest profiled."),
        ] = None,
        window: Annotated[
            DriftWindow | None, strawberry.argument(description="Default: the check window.")
        ] = None,
    ) -> DriftReport | None:
        try:
            report = await info.context.services.drift.report(
                caller=await info.context.require_caller(),
                model=model,
                version_number=version,
                since=window.since if window else None,
                until=window.until if window else None,
            )
        except NotFound as exc:
            if exc.what not in {"Model", "Drift profile"}:
                raise
            return None
        return DriftReport.from_domain(report)

    @strawberry.field(
        description="A version's reference profile; null when it has none, or the version is "
        "not visible to you.",
        permission_classes=[IsAuthenticated],
    )
    async def drift_profile(
        self,
        info: Info,
        version_id: Annotated[strawberry.ID, strawberry.argument(description="The version.")],
    ) -> DriftProfile | None:
        try:
            profile = await info.context.services.drift.get_profile(
                caller=await info.context.require_caller(),
                version_id=parse_id(version_id, "Model version"),
            )
        except NotFound as exc:
            if exc.what != "Model version":
                raise
            return None
        return DriftProfile.from_table(profile) if profile else None


@strawberry.type
class DriftMutation:
    @strawberry.mutation(
        description="Profile a version from a reference CSV, read in the intake sandbox; its "
        "rows (sampled past the cap) are predicted by the version for the reference prediction "
        "distribution. Replaces an existing profile. Maintainers.",
        permission_classes=[IsAuthenticated],
    )
    async def upload_drift_reference(
        self,
        info: Info,
        input: Annotated[
            UploadDriftReferenceInput,
            strawberry.argument(description="The version and the reference CSV (maintainers)."),
        ],
    ) -> DriftProfileResult:
        caller = await info.context.require_caller()
        await info.context.services.quotas.charge_upload(caller=caller)
        profile = await info.context.services.drift.profile_from_upload(
            caller=caller,
            version_id=parse_id(input.version_id, "Model version"),
            chunks=upload_chunks(input.file),
        )
        return DriftProfileSuccess(profile=DriftProfile.from_table(profile))

    @strawberry.mutation(
        description="Profile a version from its first N logged input rows and their "
        "predictions (N: MODELSERVE_DRIFT_PROFILE_LOG_ROWS). Replaces an existing profile. "
        "Maintainers.",
        permission_classes=[IsAuthenticated],
    )
    async def create_drift_profile_from_log(
        self,
        info: Info,
        version_id: Annotated[strawberry.ID, strawberry.argument(description="The version.")],
    ) -> DriftProfileResult:
        profile = await info.context.services.drift.profile_from_log(
            caller=await info.context.require_caller(),
            version_id=parse_id(version_id, "Model version"),
        )
        return DriftProfileSuccess(profile=DriftProfile.from_table(profile))

    @strawberry.mutation(
        description="Set a model's drift thresholds. Maintainers.",
        permission_classes=[IsAuthenticated],
    )
    async def set_drift_thresholds(
        self,
        info: Info,
        input: Annotated[
            SetDriftThresholdsInput,
            strawberry.argument(
                description="The model and the thresholds to change (maintainers)."
            ),
        ],
    ) -> SetDriftThresholdsResult:
        thresholds = await info.context.services.drift.set_thresholds(
            caller=await info.context.require_caller(),
            model_id=parse_id(input.model_id, "Model"),
            psi=input.psi,
            ks_p_value=input.ks_p_value,
            chi_square_p_value=input.chi_square_p_value,
            min_rows=input.min_rows,
        )
        return DriftThresholdsSuccess(thresholds=DriftThresholds.from_domain(thresholds))
