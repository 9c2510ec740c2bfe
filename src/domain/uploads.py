"""What a `local_folder` import's upload may be: the one place its limits and formats are stated.

The service cannot read a user's disk: the browser uploads the folder as one archive, which the import
pipeline reads under the same context policy, secret scan and path rules as a repository's archive.
"""

from __future__ import annotations

from enum import StrEnum

# The most an uploaded archive may hold, compressed: what the presigned POST allows and the reader reads.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadFormat(StrEnum):
    ZIP = "zip"
    TAR_GZ = "tar.gz"
