"""Preprocessing per family style, and the full feature + model pipeline."""

from fitfinder.features.dates import DatetimeFeatures
from fitfinder.features.pipeline import build_pipeline
from fitfinder.features.preprocess import build_preprocessor

__all__ = ["DatetimeFeatures", "build_pipeline", "build_preprocessor"]
