"""Data on first use: the registry of public data sets, where each lives, and its fetch.

>>> from langgap.data import dataset_dir
>>> dataset_dir("multijail")  # doctest: +SKIP
PosixPath('/home/me/.local/share/langgap/multijail')
"""

from langgap.data.locate import (
    DATA_ENV,
    OFFLINE_ENV,
    DataRoot,
    DataUnavailableError,
    dataset_dir,
    fetch_root,
    find,
    roots,
    user_data_dir,
)
from langgap.data.registry import Dataset, FileSpec, UnknownDatasetError, datasets, entry

__all__ = [
    "DATA_ENV",
    "OFFLINE_ENV",
    "DataRoot",
    "DataUnavailableError",
    "Dataset",
    "FileSpec",
    "UnknownDatasetError",
    "dataset_dir",
    "datasets",
    "entry",
    "fetch_root",
    "find",
    "roots",
    "user_data_dir",
]
