"""Past one machine: the models as Ray Serve deployments, called from the app through deployment handles.

With `GS_RAY_ADDRESS` set, the emoji model and the music models run on that Ray cluster (`deployments.py`:
replicas spread over its machines and GPUs, autoscaling, `@serve.batch`), and the pipelines send their requests
there (`remote_or_local`); without it, or while the cluster cannot be reached, everything runs in this process as
it always did. Ray is not needed otherwise (requirements-ray.txt; a Space does not install it).

The app never joins the cluster itself: a Ray driver process exits when it loses the cluster (measured: 60 s after
its head went away), which would take the web server with it. A small child process (`bridge.py`) holds the
connection and the deployment handles; the app talks to it over a pipe, and when it dies the app works on alone
and starts another later (`client.py`).
"""

from pipelines.common.serving.client import Cluster, get_cluster, remote_or_local

__all__ = ["Cluster", "get_cluster", "remote_or_local"]
