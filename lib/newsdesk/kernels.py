"""The project's Jupyter kernel, "Python (newsdesk)": the Python that runs newsdesk.

The notebooks name it in their metadata. ``newsdesk lab`` installs its kernelspec into this
environment (``make setup`` does too) and makes it JupyterLab's default; a report starts it
through ``kernel_spec_manager``, which needs nothing installed and always runs this Python.
"""

from __future__ import annotations

import sys
from pathlib import Path

KERNEL_NAME = "newsdesk"
KERNEL_DISPLAY_NAME = "Python (newsdesk)"


def install_kernelspec() -> Path:
    """The project's kernelspec in this environment (``--sys-prefix``), pointing at this
    Python; installed or repaired when missing or pointing elsewhere."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv and Path(spec.argv[0]) == Path(sys.executable):
            return Path(spec.resource_dir)
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    return Path(install(kernel_name=KERNEL_NAME, display_name=KERNEL_DISPLAY_NAME,
                        prefix=sys.prefix))


def kernel_spec_manager():
    """A jupyter_client KernelSpecManager that gives the project's kernel as this Python
    (whatever kernelspec of that name is installed, if any); other names as installed."""
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager

    class ProjectKernelSpecs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            if kernel_name == KERNEL_NAME:
                spec = get_kernel_dict() | {"display_name": KERNEL_DISPLAY_NAME}
                return KernelSpec(resource_dir=RESOURCES, **spec)
            return super().get_kernel_spec(kernel_name)

    return ProjectKernelSpecs()
