"""Static checks of deploy/: the image, the compose file and the Kubernetes manifests.

Nothing is built or started (no Docker engine, no cluster): the files are parsed and checked
against the port table below and against the repository tree, so a renamed module, a wrong port
or a forgotten manifest fails here instead of at deploy time.
"""
from __future__ import annotations

import functools
import json
import re
import runpy
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"

SERVICES = ("identity", "verification", "registration", "payment", "certificates")
PORTS = {"gateway": 8000, "identity": 8101, "verification": 8102, "registration": 8103,
         "payment": 8104, "certificates": 8105, "sandbox": 8106}
WEB_APPS = {
    **{svc: f"services.{svc}.web.wsgi:app" for svc in SERVICES},
    "gateway": "gateway.wsgi:app",
    "sandbox": "services.payment.sandbox.wsgi:app",
}
WORKERS = {f"{svc}-worker": ["python", "-m", f"services.{svc}.worker"] for svc in SERVICES}
INFRA = {"rabbitmq", "postgres", "redis"}
HPA_TARGETS = {"gateway", "registration"}
WSGI_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


# --- loading -------------------------------------------------------------------------------

@functools.cache
def k8s_docs() -> tuple[dict, ...]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return tuple(docs)


@functools.cache
def kustomization() -> dict:
    return yaml.safe_load((K8S / "kustomization.yaml").read_text())


@functools.cache
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())


@functools.cache
def dockerfile() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines = [line for line in (DEPLOY / "Dockerfile").read_text().splitlines()
             if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return tuple((word.upper(), rest.strip()) for word, _, rest in
                 (line.strip().partition(" ") for line in joined.splitlines() if line.strip()))


# --- small helpers ---------------------------------------------------------------------------

def k8s_objects(kind: str) -> list[dict]:
    return [doc for doc in k8s_docs() if doc["kind"] == kind]


def k8s_object(kind: str, name: str) -> dict:
    found = [doc for doc in k8s_objects(kind) if doc["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} named {name!r}, found {len(found)}"
    return found[0]


def containers(deployment: dict) -> list[dict]:
    return deployment["spec"]["template"]["spec"]["containers"]


def only_container(deployment: dict) -> dict:
    (container,) = containers(deployment)
    return container


def pod_labels(deployment: dict) -> dict:
    return deployment["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict, labels: dict) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def argv(container: dict) -> list[str]:
    return [*container.get("command", []), *container.get("args", [])]


def container_port(container: dict, port: int | str) -> int:
    """A port given by number or by the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    by_name = {p["name"]: p["containerPort"] for p in container.get("ports", []) if "name" in p}
    assert port in by_name, f"container {container['name']} has no port named {port!r}"
    return by_name[port]


def probe(container: dict, kind: str) -> tuple[str, int]:
    get = container[kind]["httpGet"]
    return get["path"], container_port(container, get["port"])


def referenced_files(command: list[str]) -> list[tuple[str, ...]]:
    """Repository files a command line needs, each as alternatives (module file or package)."""
    refs = []
    for previous, arg in zip(["", *command], command):
        if previous == "-m":
            base = arg.replace(".", "/")
            refs.append((f"{base}.py", f"{base}/__main__.py"))
        elif WSGI_TARGET.fullmatch(arg):
            base = arg.partition(":")[0].replace(".", "/")
            refs.append((f"{base}.py", f"{base}/__init__.py"))
        elif arg.endswith(".py"):
            refs.append((arg,))
    return refs


def dockerfile_args(instruction: str) -> list[str]:
    return [args for word, args in dockerfile() if word == instruction]


def assert_service_urls(env: dict) -> None:
    """Every process reaches every other at http://<name>:<port>, the names of the Services."""
    for name, port in PORTS.items():
        assert env.get(f"BAOKAO_{name.upper()}_URL") == f"http://{name}:{port}", name


def assert_database_for_every_service(env: dict) -> None:
    for svc in SERVICES:
        url = env.get(f"BAOKAO_{svc.upper()}_DATABASE_URL") or env.get(
            "BAOKAO_DATABASE_URL_TEMPLATE", "").replace("{service}", svc)
        assert url.startswith("postgresql://"), f"no PostgreSQL URL for {svc}"
        assert urlsplit(url).path == f"/baokao_{svc}", url


def all_commands() -> list[pytest.ParameterSet]:
    """Every command line in deploy/, labelled by where it comes from."""
    found = [pytest.param(json.loads(args), id=f"Dockerfile:{word}")
             for word, args in dockerfile() if word in ("CMD", "ENTRYPOINT")]
    for deployment in k8s_objects("Deployment"):
        for container in containers(deployment):
            found.append(pytest.param(argv(container),
                                      id=f"k8s:{deployment['metadata']['name']}"))
    for name, service in compose()["services"].items():
        if "command" in service:
            found.append(pytest.param(service["command"], id=f"compose:{name}"))
        if name not in INFRA and "healthcheck" in service:
            found.append(pytest.param(service["healthcheck"]["test"][1:],
                                      id=f"compose:{name}:healthcheck"))
    return found


# --- commands point at real files ----------------------------------------------------------

@pytest.mark.parametrize("command", all_commands())
def test_command_refers_to_files_that_exist(command):
    refs = referenced_files(command)
    assert refs, f"no module or file recognised in {command}"
    missing = [alternatives[0] for alternatives in refs
               if not any((ROOT / path).is_file() for path in alternatives)]
    assert not missing, f"{command} needs {missing}, missing from the repository"


# --- Kubernetes ----------------------------------------------------------------------------

def test_kustomization_lists_every_manifest_once():
    resources = kustomization()["resources"]
    on_disk = {p.name for p in K8S.glob("*.y*ml")} - {"kustomization.yaml"}
    assert len(resources) == len(set(resources))
    assert set(resources) == on_disk
    assert kustomization()["namespace"] == k8s_object("Namespace", "baokao")["metadata"]["name"]


def test_every_manifest_has_api_version_kind_and_name():
    for doc in k8s_docs():
        assert doc.get("apiVersion") and doc.get("kind") and doc["metadata"].get("name"), doc


@pytest.mark.parametrize("name", sorted(WEB_APPS))
def test_web_deployment_runs_its_app_with_probes_on_its_port(name):
    container = only_container(k8s_object("Deployment", name))
    port = PORTS[name]
    assert WEB_APPS[name] in argv(container)
    assert [p["containerPort"] for p in container["ports"]] == [port]
    assert {"name": "PORT", "value": str(port)} in container["env"]
    assert probe(container, "livenessProbe") == ("/healthz", port)
    assert probe(container, "readinessProbe") == ("/readyz", port)


@pytest.mark.parametrize("name", sorted(WEB_APPS))
def test_service_routes_its_port_to_the_web_pods(name):
    service = k8s_object("Service", name)
    deployment = k8s_object("Deployment", name)
    (port,) = service["spec"]["ports"]
    assert selects(service["spec"]["selector"], pod_labels(deployment))
    assert port["port"] == PORTS[name]
    assert container_port(only_container(deployment), port["targetPort"]) == PORTS[name]


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_worker_deployment_runs_its_worker_and_serves_nothing(name):
    deployment = k8s_object("Deployment", name)
    container = only_container(deployment)
    assert argv(container) == WORKERS[name]
    assert "ports" not in container
    assert not [s for s in k8s_objects("Service")
                if selects(s["spec"]["selector"], pod_labels(deployment))]


def test_deployments_are_exactly_the_web_apps_and_workers():
    names = {d["metadata"]["name"] for d in k8s_objects("Deployment")}
    assert names == set(WEB_APPS) | set(WORKERS)


@pytest.mark.parametrize("deployment", k8s_objects("Deployment"),
                         ids=lambda d: d["metadata"]["name"])
def test_deployment_is_well_formed(deployment):
    spec = deployment["spec"]
    assert selects(spec["selector"]["matchLabels"], pod_labels(deployment))
    assert spec["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
    for container in containers(deployment):
        for bound in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(container["resources"][bound]), container["name"]
        for source in container.get("envFrom", []):
            for kind, ref in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                if ref in source:
                    k8s_object(kind, source[ref]["name"])


def test_hpas_scale_gateway_and_registration():
    hpas = k8s_objects("HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas} == HPA_TARGETS
    for hpa in hpas:
        target = hpa["spec"]["scaleTargetRef"]
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert target["kind"] == "Deployment"
        deployment = k8s_object("Deployment", target["name"])
        # A fixed replica count would be reset on every `kubectl apply`, fighting the HPA.
        assert "replicas" not in deployment["spec"]
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_ingress_sends_traffic_to_the_gateway_service():
    (ingress,) = k8s_objects("Ingress")
    backends = [path["backend"]["service"] for rule in ingress["spec"]["rules"]
                for path in rule["http"]["paths"]]
    assert backends
    for backend in backends:
        assert backend["name"] == "gateway"
        ports = k8s_object("Service", "gateway")["spec"]["ports"]
        wanted = backend["port"]
        assert any(p.get("name") == wanted.get("name") or p["port"] == wanted.get("number")
                   for p in ports)


def test_config_map_holds_production_settings_and_service_urls():
    data = k8s_object("ConfigMap", "baokao-config")["data"]
    assert data["BAOKAO_MODE"] == "production"
    assert data["BAOKAO_QUORUM_QUEUES"] == "1"
    assert data["BAOKAO_DATA_DIR"] == "/var/lib/baokao"
    assert_service_urls(data)


def test_secret_holds_the_secret_settings_and_nothing_overlaps_the_config_map():
    secret = k8s_object("Secret", "baokao-secrets")["stringData"]
    config = k8s_object("ConfigMap", "baokao-config")["data"]
    assert {"BAOKAO_SECRET_KEY", "BAOKAO_AMQP_URL", "BAOKAO_REDIS_URL"} <= set(secret)
    assert secret["BAOKAO_AMQP_URL"].startswith("amqp://")
    assert_database_for_every_service(secret)
    assert not set(secret) & set(config)


# --- docker compose ------------------------------------------------------------------------

def test_compose_has_infrastructure_web_apps_and_workers():
    assert set(compose()["services"]) == INFRA | set(WEB_APPS) | set(WORKERS)


def test_compose_infrastructure_images():
    services = compose()["services"]
    assert services["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    assert {"5672:5672", "15672:15672"} <= set(services["rabbitmq"]["ports"])
    assert services["postgres"]["image"] == "postgres:16"
    assert services["postgres"]["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"


def test_compose_dependencies_exist_and_are_healthchecked():
    services = compose()["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on unknown {target}"
            assert rule["condition"] in ("service_started", "service_healthy")
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"


@pytest.mark.parametrize("name", sorted(WEB_APPS))
def test_compose_web_app_serves_its_port_and_is_healthchecked(name):
    service = compose()["services"][name]
    url = urlsplit(service["healthcheck"]["test"][-1])
    assert WEB_APPS[name] in service["command"]
    assert service["environment"]["PORT"] == str(PORTS[name])
    assert url.port == PORTS[name]
    assert url.path in ("/healthz", "/readyz")


@pytest.mark.parametrize("name", sorted(WORKERS))
def test_compose_worker_runs_its_worker_after_its_web_app(name):
    service = compose()["services"][name]
    assert service["command"] == WORKERS[name]
    assert name.removesuffix("-worker") in service["depends_on"]


def test_compose_environment_is_production_on_the_compose_network():
    for name, service in compose()["services"].items():
        if name in INFRA:
            continue
        env = service["environment"]
        assert env["BAOKAO_MODE"] == "production"
        assert urlsplit(env["BAOKAO_AMQP_URL"]).hostname == "rabbitmq"
        assert urlsplit(env["BAOKAO_REDIS_URL"]).hostname == "redis"
        assert_database_for_every_service(env)
        assert_service_urls(env)


def test_compose_builds_the_deploy_dockerfile():
    for name, service in compose()["services"].items():
        if name not in INFRA:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert context == ROOT
            assert (context / service["build"]["dockerfile"]) == DEPLOY / "Dockerfile"


# --- image ---------------------------------------------------------------------------------

def test_dockerfile_installs_requirements_before_copying_code():
    steps = [f"{word} {args}" for word, args in dockerfile()]
    assert steps[0] == "FROM python:3.11-slim"
    copy_reqs = steps.index("COPY requirements.txt .")
    install = next(i for i, s in enumerate(steps) if "pip install -r requirements.txt" in s)
    first_code = min(steps.index(f"COPY {d}/ {d}/") for d in ("services", "gateway", "deploy"))
    assert copy_reqs < install < first_code


def test_dockerfile_runs_as_non_root_with_cjk_fonts():
    assert dockerfile_args("USER")[-1].split(":")[0] not in ("root", "0")
    runs = " ".join(dockerfile_args("RUN"))
    # services/common/pdf.py embeds WenQuanYi Zen Hei (TrueType outlines, which ReportLab needs).
    assert "fonts-noto-cjk" in runs and "fonts-wqy-zenhei" in runs


def test_dockerfile_default_command_is_an_exec_form_gunicorn():
    (cmd,) = dockerfile_args("CMD")
    command = json.loads(cmd)
    assert command[:3] == ["gunicorn", "-c", "deploy/gunicorn.conf.py"]
    assert command[-1] in WEB_APPS.values()


def test_dockerignore_keeps_the_context_small_but_complete():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv"} <= ignored
    assert not ignored & {"requirements.txt", "services", "gateway", "deploy"}


# --- gunicorn ------------------------------------------------------------------------------

def gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name in ("PORT", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_TIMEOUT",
                 "GUNICORN_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


def test_gunicorn_defaults(monkeypatch):
    conf = gunicorn_settings(monkeypatch)
    assert conf["bind"] == "0.0.0.0:8000"
    assert (conf["workers"], conf["threads"], conf["timeout"]) == (2, 4, 30)
    assert conf["accesslog"] == "-"


def test_gunicorn_reads_port_and_sizes_from_the_environment(monkeypatch):
    conf = gunicorn_settings(monkeypatch, PORT="8101", GUNICORN_WORKERS="5",
                             GUNICORN_THREADS="8")
    assert conf["bind"] == "0.0.0.0:8101"
    assert (conf["workers"], conf["threads"]) == (5, 8)


def test_gunicorn_stops_gracefully_before_kubernetes_kills_the_pod(monkeypatch):
    graceful = gunicorn_settings(monkeypatch)["graceful_timeout"]
    for name in WEB_APPS:
        pod = k8s_object("Deployment", name)["spec"]["template"]["spec"]
        assert graceful < pod["terminationGracePeriodSeconds"], name
