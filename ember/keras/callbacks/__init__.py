"""Keras callbacks (``from ember.keras import callbacks``), one per file."""
from .callback import Callback
from .callback_list import CallbackList
from .history import History
from .progbar_logger import ProgbarLogger
from .early_stopping import EarlyStopping
from .model_checkpoint import ModelCheckpoint
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .learning_rate_scheduler import LearningRateScheduler
from .csv_logger import CSVLogger
from .terminate_on_nan import TerminateOnNaN
from .lambda_callback import LambdaCallback
from .backup_and_restore import BackupAndRestore
from .tensorboard import TensorBoard
from .swap_ema_weights import SwapEMAWeights
from .remote_monitor import RemoteMonitor
from .registry_logger import RegistryLogger

__all__ = ["Callback", "CallbackList", "History", "ProgbarLogger", "EarlyStopping", "ModelCheckpoint",
           "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "LambdaCallback",
           "BackupAndRestore", "TensorBoard", "SwapEMAWeights", "RemoteMonitor", "RegistryLogger"]
