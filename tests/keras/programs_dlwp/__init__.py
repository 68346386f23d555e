"""Programs in the style of the chapter listings of "Deep Learning with Python" (3rd edition, Keras 3,
backend-agnostic), small and on NumPy-made data. Each module's ``main(keras, ...)`` is the program with
``keras`` the module it runs on (real Keras or ``ember.keras``); ``tests/keras/test_keras_programs_dlwp.py``
runs both and compares what they return."""
