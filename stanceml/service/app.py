"""The HTTP service: the predictor behind FastAPI (``stanceml serve``).

Endpoints (OpenAPI docs at ``/docs``, schema at ``/openapi.json``):

- ``GET /health``: status, model name, backend, labels, version and the limits in force.
- ``GET /labels``: the label order of ``probs`` and of the model.
- ``POST /predict``: ``{"inputs": [{"sentence", "actor", "target", "span"?}, ...]}`` ->
  ``{"predictions": [{"stance", "score", "probs", "actor_found"}, ...]}`` in input order.
- ``POST /analyze``: ``{"text", "targets": [...], "actors"?, "replace_actors"?, "relevance"?}``
  -> ``{"results": [{"actor", "target", "stance", "score", "reason", "weights", "notes",
  "evidence": [...]}, ...]}`` (see :mod:`stanceml.analysis.analyze`). The same path takes
  the urlencoded form of ``GET /`` and answers it with the HTML page.
- ``GET /``: a form (article text, targets) for a person with a browser
  (:mod:`stanceml.service.pages`).

Limits: a request body over ``max_body_bytes``, a batch over ``max_batch`` inputs, a text
(sentence, actor, target or article) over ``max_text_chars`` characters, or more than
``max_targets`` targets or ``max_actors`` actors is answered with 413 and a message that
names the limit; a malformed request (missing field, empty string, span outside the
sentence, empty batch) with 422. Handlers are plain functions that FastAPI runs in its
thread pool; the predictor is thread-safe.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import ValidationError

from stanceml import __version__
from stanceml.analysis.aggregate import ActorStance
from stanceml.analysis.analyze import RELEVANCE_RULES, analyze_text, resolve_gazetteer
from stanceml.service.pages import FORM_TYPE, FormInput, form_error_page, index_page, parse_form, result_page
from stanceml.service.schemas import (
    AnalyzeRequest,
    AnalyzeResponse,
    Health,
    Labels,
    Prediction,
    PredictRequest,
    PredictResponse,
)
from stanceml.text.actors import Gazetteer, GazetteerError

DEFAULT_MAX_BATCH = 64
DEFAULT_MAX_TEXT_CHARS = 20_000
DEFAULT_MAX_TARGETS = 16
DEFAULT_MAX_ACTORS = 200
DEFAULT_MAX_BODY_BYTES = 2_000_000


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1); no DNS lookup."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# -- the app ---------------------------------------------------------------------------


def _too_large(what: str, size: int, limit: int, unit: str) -> HTTPException:
    return HTTPException(status_code=413, detail=f"{what} has {size} {unit}, over the limit of {limit}")


def _add_body_limit(app: FastAPI, max_body_bytes: int) -> None:
    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if request.method == "POST" and length is None:
            # A chunked body would get past the size check below: ask for its length first.
            return JSONResponse(status_code=411, content={"detail": "send a Content-Length header"})
        if length is not None and length.isdigit() and int(length) > max_body_bytes:
            return JSONResponse(
                status_code=413,
                content={"detail": f"request body has {length} bytes, over the limit of {max_body_bytes}"},
            )
        return await call_next(request)


def _add_info_routes(app: FastAPI, predictor: Any, limits: dict[str, int]) -> None:
    source = getattr(predictor, "source", None)
    model_name = source.name if source is not None else "in-memory"
    labels = list(predictor.labels)

    @app.get("/health", response_model=Health, summary="Is the service up, and with which model?")
    def health() -> Health:
        return Health(
            status="ok",
            model=model_name,
            backend=getattr(predictor, "backend_name", "unknown"),
            labels=labels,
            version=__version__,
            limits=limits,
        )

    @app.get("/labels", response_model=Labels, summary="The stance labels, in the model's order")
    def get_labels() -> Labels:
        return Labels(labels=labels)


def _add_predict_route(app: FastAPI, predictor: Any, max_batch: int, max_text_chars: int) -> None:
    @app.post("/predict", response_model=PredictResponse, summary="Stances for (sentence, actor, target) triples")
    def predict(body: PredictRequest) -> PredictResponse:
        if not body.inputs:
            raise HTTPException(status_code=422, detail="inputs is empty: send at least one triple")
        if len(body.inputs) > max_batch:
            raise _too_large("the batch", len(body.inputs), max_batch, "inputs")
        items = []
        for i, t in enumerate(body.inputs):
            for name in ("sentence", "actor", "target"):
                size = len(getattr(t, name))
                if size > max_text_chars:
                    raise _too_large(f"inputs[{i}].{name}", size, max_text_chars, "characters")
            try:
                items.append(t.to_input())
            except (TypeError, ValueError) as err:
                raise HTTPException(status_code=422, detail=f"inputs[{i}]: {err}") from None
        preds = predictor.predict(items)
        return PredictResponse(
            predictions=[
                Prediction(stance=p.stance, score=p.score, probs=p.probs, actor_found=p.actor_found) for p in preds
            ]
        )


def _check_analyze_limits(body: AnalyzeRequest, limits: dict[str, int]) -> None:
    max_text_chars = limits["max_text_chars"]
    if len(body.text) > max_text_chars:
        raise _too_large("text", len(body.text), max_text_chars, "characters")
    if not body.targets:
        raise HTTPException(status_code=422, detail="targets is empty: give at least one target")
    if len(body.targets) > limits["max_targets"]:
        raise _too_large("targets", len(body.targets), limits["max_targets"], "entries")
    for i, target in enumerate(body.targets):
        if len(target) > max_text_chars:
            raise _too_large(f"targets[{i}]", len(target), max_text_chars, "characters")
    if body.actors is not None and len(body.actors) > limits["max_actors"]:
        raise _too_large("actors", len(body.actors), limits["max_actors"], "entries")


async def _raw_body(request: Request) -> tuple[str, bytes]:
    """The request's media type and body, read in the event loop so handlers stay plain
    functions (run in the thread pool)."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return media_type, await request.body()


def _parse_json_body(raw: bytes) -> AnalyzeRequest:
    """The JSON body of ``POST /analyze``; a bad one is a 422 shaped like FastAPI's own."""
    try:
        return AnalyzeRequest.model_validate_json(raw)
    except ValidationError as err:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in err.errors(include_url=False, include_context=False)]
        raise RequestValidationError(errors) from None


def _form_request(form: FormInput) -> AnalyzeRequest:
    """The form as an analysis request (raises HTTPException 422 with a readable message)."""
    try:
        return AnalyzeRequest.model_validate(
            {"text": form.text, "targets": list(form.targets), "relevance": form.relevance}
        )
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in err.errors())
        raise HTTPException(status_code=422, detail=problems) from None


def _add_analyze_route(app: FastAPI, predictor: Any, base: Gazetteer, limits: dict[str, int]) -> None:
    @lru_cache(maxsize=32)
    def gazetteer_for(actors_json: str, replace: bool) -> Gazetteer:
        # Compiling a gazetteer takes ~0.1 s: clients that send the same actors reuse it.
        return resolve_gazetteer(json.loads(actors_json), base, replace)

    def run(body: AnalyzeRequest) -> list[ActorStance]:
        _check_analyze_limits(body, limits)
        try:
            gaz = base
            if body.actors is not None or body.replace_actors:
                gaz = gazetteer_for(json.dumps(body.actors, sort_keys=True), body.replace_actors)
            # "Only my actors" means no named-entity actors on top of them.
            finder = "gazetteer" if body.replace_actors else "auto"
            return analyze_text(
                predictor, body.text, body.targets, gazetteer=gaz, relevance=body.relevance, actor_finder=finder
            )
        except (GazetteerError, ValueError) as err:
            raise HTTPException(status_code=422, detail=str(err)) from None

    subtitle = _subtitle(predictor)

    def answer_form(raw: bytes) -> HTMLResponse:
        form = FormInput()
        try:
            form = parse_form(raw)
            body = _form_request(form)
            return HTMLResponse(result_page(form, run(body), body.targets, subtitle))
        except ValueError as err:
            return HTMLResponse(form_error_page(form, str(err), subtitle), status_code=422)
        except HTTPException as err:
            return HTMLResponse(form_error_page(form, str(err.detail), subtitle), status_code=err.status_code)

    @app.post(
        "/analyze",
        response_model=AnalyzeResponse,
        summary="Who stands where on each target in an article",
        description="A JSON body answers JSON; the form of `GET /` (urlencoded) answers the HTML page.",
        openapi_extra=ANALYZE_BODY_DOC,
        responses={200: {"content": {"text/html": {}}}},
    )
    def analyze(payload: tuple[str, bytes] = Depends(_raw_body)) -> Any:  # noqa: B008 (FastAPI's idiom)
        media_type, raw = payload
        if media_type == FORM_TYPE:
            return answer_form(raw)
        if media_type and media_type != "application/json":
            raise HTTPException(status_code=415, detail=f"send application/json or {FORM_TYPE}, not {media_type}")
        results = run(_parse_json_body(raw))
        return AnalyzeResponse.model_validate({"results": [r.to_dict() for r in results]})

    @app.get("/", response_class=HTMLResponse, summary="The analysis form (HTML)")
    def index() -> HTMLResponse:
        return HTMLResponse(index_page(subtitle))


def _subtitle(predictor: Any) -> str:
    """The line under the page title: which model and backend answer."""
    source = getattr(predictor, "source", None)
    model = source.name if source is not None else "in-memory model"
    return f"model: {model} · backend: {getattr(predictor, 'backend_name', 'unknown')}"


#: ``POST /analyze`` reads its body itself (JSON or the form), so its schema is given here.
ANALYZE_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": AnalyzeRequest.model_json_schema()},
            FORM_TYPE: {
                "schema": {
                    "type": "object",
                    "required": ["text", "targets"],
                    "properties": {
                        "text": {"type": "string"},
                        "targets": {"type": "string", "description": "one target per line"},
                        "relevance": {"type": "string", "enum": list(RELEVANCE_RULES)},
                    },
                }
            },
        },
    }
}


def create_app(
    predictor: Any,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS,
    max_targets: int = DEFAULT_MAX_TARGETS,
    max_actors: int = DEFAULT_MAX_ACTORS,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    gazetteer: Gazetteer | None = None,
) -> FastAPI:
    """A FastAPI app serving ``predictor`` (a :class:`stanceml.StancePredictor`).

    Args:
        max_batch: most inputs in one ``/predict`` request.
        max_text_chars: longest sentence, actor or target in ``/predict``, and longest
            article or target in ``/analyze``.
        max_targets, max_actors: most targets and extra actors in one ``/analyze`` request.
        max_body_bytes: largest request body (checked on Content-Length before reading).
        gazetteer: the base gazetteer for ``/analyze`` (default: the packaged one).
    """
    limits = {
        "max_batch": max_batch,
        "max_text_chars": max_text_chars,
        "max_targets": max_targets,
        "max_actors": max_actors,
        "max_body_bytes": max_body_bytes,
    }
    for name, value in limits.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1, got {value}")
    app = FastAPI(
        title="stanceml",
        version=__version__,
        description="Who stands where on what: actor-stance classification for news sentences and articles.",
    )
    app.state.predictor = predictor
    app.state.limits = limits
    _add_body_limit(app, max_body_bytes)
    _add_info_routes(app, predictor, limits)
    _add_predict_route(app, predictor, max_batch, max_text_chars)
    _add_analyze_route(app, predictor, gazetteer if gazetteer is not None else Gazetteer.default(), limits)
    return app


def serve(app: FastAPI, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Run ``app`` with uvicorn until interrupted."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_level=log_level)


__all__ = ["create_app", "serve", "is_loopback_host"]
