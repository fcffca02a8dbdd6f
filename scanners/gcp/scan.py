"""Running a Google Cloud scan: hierarchy, projects, buckets, datasets, tables, groups.

::

    --organization / --folder ── walk: projects.list + folders.list under each node
    project ── projects.get, getAncestry, getIamPolicy, org policies, deny policies, custom roles
            ├─ each ancestor (folder, organisation): get, getIamPolicy, org policies, deny policies
            ├─ storage.buckets.list ── per bucket: get (projection=full), getIamPolicy,
            │                          without uniform access: objects.list (projection=full)
            ├─ storage.hmacKeys.list
            ├─ bigquerydatatransfer locations.list ── per location: transferConfigs.list
            ├─ storagetransfer.transferJobs.list (transfer jobs, then replication jobs)
            └─ bigquery datasets.list ── per dataset: get, tables.list ── per table: get, getIamPolicy
    then: every group those documents name ── groups.lookup, memberships.list (and nested groups)

Every fan-out is a task on one ``ThreadPoolExecutor`` of ``max_workers`` threads (tasks
never wait on one another).  A failed read is recorded and the scan goes on; only
missing credentials stop it, as :class:`~seenby.errors.ScanError`.  Against a storage
emulator the scan is anonymous, and an API whose host refuses connections fails at once
(no retries; :func:`.calls.unreachable`).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from seenby.errors import ScanError
from seenby.registry import BigQueryDatasetRead, GcpNodeRead, TypeName
from seenby.scanners.gcp import bigquery, identity, resourcemanager, storage, transfers
from seenby.scanners.gcp.calls import Caller
from seenby.scanners.gcp.config import GcpScanConfig
from seenby.scanners.progress import ProgressSink, Tracker
from seenby.scanners.reads import RetryPolicy
from seenby.scanners.tasks import TaskGroup
from seenby.snapshot import Read, Resource, Snapshot, new_snapshot

__all__ = ["SCOPES", "scan_gcp"]

SCOPES = (
    "https://www.googleapis.com/auth/cloud-platform.read-only",
    "https://www.googleapis.com/auth/cloud-identity.groups.readonly",
)
"""OAuth scopes requested for Application Default Credentials (service accounts honour them)."""

_TYPE_ORDER = {
    TypeName.GCP_ORGANIZATION: 0,
    TypeName.GCP_FOLDER: 1,
    TypeName.GCP_PROJECT: 2,
    TypeName.GCP_STORAGE_BUCKET: 3,
    TypeName.GCP_BIGQUERY_DATASET: 4,
    TypeName.GCP_BIGQUERY_TABLE: 5,
    TypeName.GCP_GROUP: 6,
}


def _default_credentials() -> Any:
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        credentials, _project = google.auth.default(scopes=list(SCOPES))
    except DefaultCredentialsError as exc:
        raise ScanError(
            f"no Application Default Credentials ({exc}); run `gcloud auth application-default login` "
            "or set GOOGLE_APPLICATION_CREDENTIALS"
        ) from None
    return credentials


def _credentials(config: GcpScanConfig) -> Any:
    """The injected credentials; anonymous ones when Cloud Storage goes to an emulator; else ADC.

    An emulator ignores credentials, and a bearer token has no business going to a local
    plain-HTTP endpoint: with ``STORAGE_EMULATOR_HOST`` (or a configured storage endpoint)
    the scan runs anonymously, and the Google APIs the emulator does not serve answer
    401/403 (denied) or refuse the connection (error): coverage gaps, as for any read.
    """
    if config.credentials is not None:
        return config.credentials
    if config.emulated_storage():
        from google.auth.credentials import AnonymousCredentials

        return AnonymousCredentials()
    return _default_credentials()


def _identity(credentials: Any) -> str | None:
    for attribute in ("service_account_email", "signer_email", "account"):
        value = getattr(credentials, attribute, None)
        if isinstance(value, str) and value and value != "default":
            return value
    return None


class _Scan:
    def __init__(self, config: GcpScanConfig, progress: ProgressSink | None) -> None:
        self.config = config
        self.tracker = Tracker(progress)
        self.lock = threading.Lock()
        self.claimed: set[str] = set()
        self.nodes: dict[str, dict[str, Read]] = {}
        self.parents: dict[str, str | None] = {}
        self.projects: list[str] = []
        self.resources: list[Resource] = []
        self.storage_clients: dict[str | None, Any] = {}
        self.credentials: Any = None
        self.caller: Caller | None = None

    # -- plumbing --------------------------------------------------------------

    def claim(self, key: str) -> bool:
        with self.lock:
            if key in self.claimed:
                return False
            self.claimed.add(key)
            return True

    def add(self, resource: Resource) -> None:
        with self.lock:
            self.resources.append(resource)

    def put(self, node: str, name: str, read: Read) -> None:
        with self.lock:
            self.nodes[node][name] = read

    def storage_client(self, project: str) -> Any:
        endpoint = self.config.storage_endpoint_for(project)
        with self.lock:
            client = self.storage_clients.get(endpoint)
            if client is None:
                from google.cloud import storage as gcs

                assert self.caller is not None
                client = gcs.Client(
                    project=project,
                    credentials=self.credentials,
                    _http=self.caller.session,
                    client_options={"api_endpoint": endpoint} if endpoint else None,
                )
                self.storage_clients[endpoint] = client
        return client

    # -- hierarchy -------------------------------------------------------------

    def _node(self, group: TaskGroup, node: str, parent_hint: str | None = None) -> dict[str, Read] | None:
        """Read an organisation, folder or project once, then its parent (inheritance needs every ancestor)."""
        if not self.claim(node):
            return None
        assert self.caller is not None
        reads = resourcemanager.read_node(self.caller, node)
        chain = resourcemanager.ancestors(reads) if node.startswith("projects/") else []
        parent = resourcemanager.parent_of(node, reads) or (chain[0] if chain else parent_hint)
        with self.lock:
            self.nodes[node] = reads
            self.parents[node] = parent
        hints = [*chain[1:], None]
        for ancestor, hint in zip(chain or ([parent] if parent else []), hints, strict=False):
            group.spawn(self._node, group, ancestor, hint)
        return reads

    def _walk(self, group: TaskGroup, node: str) -> None:
        """A folder or organisation and everything under it."""
        self._node(group, node)
        assert self.caller is not None
        children = resourcemanager.list_children(self.caller, node)
        self.put(node, GcpNodeRead.CHILDREN, children)
        if not children.ok:
            return
        for folder in children.document.get("folders") or []:
            if folder.get("name") and folder.get("state", "ACTIVE") == "ACTIVE":
                group.spawn(self._walk, group, str(folder["name"]))
        for project in children.document.get("projects") or []:
            if project.get("projectId") and project.get("state", "ACTIVE") == "ACTIVE":
                group.spawn(self._project, group, str(project["projectId"]), node)

    def _project(self, group: TaskGroup, project: str, parent_hint: str | None = None) -> None:
        node = f"projects/{project}"
        if self._node(group, node, parent_hint) is None:
            return
        with self.lock:
            self.projects.append(project)
        group.spawn(self._buckets, group, project)
        group.spawn(self._hmac_keys, project)
        group.spawn(self._transfers, project)
        group.spawn(self._datasets, group, project)

    # -- data ------------------------------------------------------------------

    def _buckets(self, group: TaskGroup, project: str) -> None:
        assert self.caller is not None
        listing = storage.list_buckets(self.caller, self.storage_client(project), project)
        self.put(f"projects/{project}", GcpNodeRead.BUCKETS, listing)
        items = listing.document.get("items", []) if listing.ok else []
        names = sorted({str(b["name"]) for b in items if b.get("name")})
        self.tracker.start(project, "gcs", len(names))
        for name in names:
            group.spawn(self._bucket, project, name)

    def _hmac_keys(self, project: str) -> None:
        assert self.caller is not None
        self.put(f"projects/{project}", GcpNodeRead.HMAC_KEYS, storage.list_hmac_keys(self.caller, project))

    def _transfers(self, project: str) -> None:
        """Where the project's data is copied: Data Transfer configs and Storage Transfer jobs (docs/flows.md)."""
        assert self.caller is not None
        node = f"projects/{project}"
        self.put(node, transfers.TRANSFER_CONFIGS_READ, transfers.list_transfer_configs(self.caller, project))
        self.put(node, transfers.TRANSFER_JOBS_READ, transfers.list_transfer_jobs(self.caller, project))

    def _bucket(self, project: str, name: str) -> None:
        assert self.caller is not None
        if self.claim(f"gs://{name}"):
            client = self.storage_client(project)
            limit = self.config.object_acl_limit
            self.add(storage.read_bucket(self.caller, client, name, project=project, object_acl_limit=limit))
        self.tracker.advance(project, "gcs")

    def _datasets(self, group: TaskGroup, project: str) -> None:
        assert self.caller is not None
        listing = bigquery.list_datasets(self.caller, project)
        self.put(f"projects/{project}", GcpNodeRead.DATASETS, listing)
        names = bigquery.dataset_names(listing)
        self.tracker.start(project, "bigquery", len(names))
        for name in names:
            group.spawn(self._dataset, group, project, name)

    def _dataset(self, group: TaskGroup, project: str, dataset: str) -> None:
        assert self.caller is not None
        resource = bigquery.read_dataset(self.caller, project, dataset)
        self.add(resource)
        for table in bigquery.table_names(resource.reads[BigQueryDatasetRead.TABLES]):
            group.spawn(self._table, project, dataset, table, resource.region)
        self.tracker.advance(project, "bigquery")

    def _table(self, project: str, dataset: str, table: str, region: str | None) -> None:
        assert self.caller is not None
        self.add(bigquery.read_table(self.caller, project, dataset, table, region=region))

    def _group(self, group: TaskGroup, email: str) -> None:
        if not self.claim(f"group:{email}"):
            return
        assert self.caller is not None
        resource = identity.read_group(self.caller, email)
        self.add(resource)
        for nested in identity.nested_groups(resource):
            group.spawn(self._group, group, nested)

    # -- run -------------------------------------------------------------------

    def run(self) -> Snapshot:
        config = self.config
        self.credentials = _credentials(config)
        session = config.http
        if session is None:
            from google.auth.transport.requests import AuthorizedSession

            session = AuthorizedSession(self.credentials)
        if config.quota_project:
            session.headers["x-goog-user-project"] = config.quota_project
        self.caller = Caller(
            session=session,
            retry=RetryPolicy(attempts=config.max_attempts, initial_backoff=config.initial_backoff),
            timeout=(config.connect_timeout, config.read_timeout),
            sleep=config.sleep,
        )
        with ThreadPoolExecutor(max_workers=config.max_workers, thread_name_prefix="seenby-gcp") as pool:
            group = TaskGroup(pool)
            for org in config.organizations:
                group.spawn(self._walk, group, f"organizations/{org}")
            for folder in config.folders:
                group.spawn(self._walk, group, f"folders/{folder}")
            for project in config.projects:
                group.spawn(self._project, group, project)
            group.wait()
            if config.read_groups:
                emails = identity.group_emails([*self.resources, *self._node_resources()])
                self.tracker.start("groups", "cloudidentity", len(emails))
                for email in sorted(emails):
                    group.spawn(self._group_task, group, email)
                group.wait()
        return self._snapshot()

    def _group_task(self, group: TaskGroup, email: str) -> None:
        self._group(group, email)
        self.tracker.advance("groups", "cloudidentity")

    def _node_resources(self) -> list[Resource]:
        out = []
        for node, reads in self.nodes.items():
            meta = reads.get(GcpNodeRead.METADATA)
            doc = meta.document if meta is not None and meta.ok else {}
            name = doc.get("displayName") or doc.get("projectId") or None
            out.append(
                Resource(
                    type=resourcemanager.node_type(node),
                    id=node,
                    name=str(name) if name else None,
                    account=node.removeprefix("projects/") if node.startswith("projects/") else None,
                    parent=self.parents.get(node),
                    reads=dict(reads),
                )
            )
        return out

    def _snapshot(self) -> Snapshot:
        resources = sorted(
            [*self._node_resources(), *self.resources], key=lambda r: (_TYPE_ORDER.get(r.type, 99), r.id)
        )
        orgs = sorted(n for n in self.nodes if n.startswith("organizations/"))
        scope = {"gcp_projects": sorted(set(self.projects)), "gcp_organization": orgs[0] if orgs else None}
        return new_snapshot(resources, scope=scope, mode="scan", identity=_identity(self.credentials))


def scan_gcp(config: GcpScanConfig, *, progress: ProgressSink | None = None) -> Snapshot:
    """Scan what ``config`` names and return one snapshot (read-only calls only)."""
    return _Scan(config, progress).run()
