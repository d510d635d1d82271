"""Quality checks and scores per data version, quality monitoring, sample datasets (QUA-1, CAT-8, ACC-7)."""
