"""Chapter 7, the ways to build a model: Sequential built incrementally with ``add`` and ``build`` (weights
empty before, summary after), an ``Input``-first Sequential; the customer-ticket Functional model with three
inputs and two outputs, its ``layers`` and their ``input``/``output`` tensors, a new model reusing an
intermediate output (a third "difficulty" head); the same model subclassed (``CustomerTicketModel``) trained
with list targets; a subclassed ``Classifier`` used inside a Functional model and a Functional model used inside
a subclassed one."""
import numpy as np

from ._common import same_weights


def _summary(model):
    lines = []
    model.summary(print_fn=lambda line, *args, **kwargs: lines.append(line))
    return "\n".join(lines)


def main(keras):
    layers = keras.layers
    model = keras.Sequential(name="my_example_model")
    model.add(layers.Dense(8, activation="relu", name="my_first_layer"))
    model.add(layers.Dense(10, activation="softmax", name="my_last_layer"))
    weights_before = len(model.weights)
    model.build((None, 3))
    shapes = [list(w.shape) for w in model.weights]
    summary = _summary(model)
    input_first = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(8, activation="relu", name="d1")],
                                   name="input_first")

    vocabulary_size, num_tags, num_departments = 40, 6, 4
    title = keras.Input(shape=(vocabulary_size,), name="title")
    text_body = keras.Input(shape=(vocabulary_size,), name="text_body")
    tags = keras.Input(shape=(num_tags,), name="tags")
    features = layers.Concatenate(name="concat")([title, text_body, tags])
    features = layers.Dense(8, activation="relu", name="dense_features")(features)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(features)
    department = layers.Dense(num_departments, activation="softmax", name="department")(features)
    model = keras.Model(inputs=[title, text_body, tags], outputs=[priority, department], name="tickets")
    functional_summary = _summary(model)

    rng = np.random.default_rng(0)
    num_samples = 24
    title_data = rng.integers(0, 2, size=(num_samples, vocabulary_size)).astype("float32")
    text_body_data = rng.integers(0, 2, size=(num_samples, vocabulary_size)).astype("float32")
    tags_data = rng.integers(0, 2, size=(num_samples, num_tags)).astype("float32")
    priority_data = rng.random(size=(num_samples, 1)).astype("float32")
    department_data = rng.integers(0, num_departments, size=(num_samples, 1))

    same_weights(model)
    model.compile(optimizer="adam", loss=["mean_squared_error", "sparse_categorical_crossentropy"],
                  metrics=[["mean_absolute_error"], ["accuracy"]])
    fit = model.fit([title_data, text_body_data, tags_data], [priority_data, department_data], epochs=2,
                    batch_size=8, shuffle=False, verbose=0)
    evaluated = model.evaluate([title_data, text_body_data, tags_data], [priority_data, department_data],
                               verbose=0)
    priority_preds, department_preds = model.predict([title_data, text_body_data, tags_data], verbose=0)
    by_name = model.fit({"title": title_data, "text_body": text_body_data, "tags": tags_data},
                        {"priority": priority_data, "department": department_data}, epochs=1, batch_size=8,
                        shuffle=False, verbose=0)
    structure = {"layers": [layer.name for layer in model.layers], "inputs": [list(t.shape) for t in model.inputs],
                 "outputs": [list(t.shape) for t in model.outputs],
                 "layer3_input": [list(t.shape) for t in model.layers[3].input],
                 "layer3_output": list(model.layers[3].output.shape), "summary": functional_summary}

    features = model.layers[4].output
    difficulty = layers.Dense(3, activation="softmax", name="difficulty")(features)
    new_model = keras.Model(inputs=[title, text_body, tags], outputs=[priority, department, difficulty])
    same_weights(new_model.get_layer("difficulty"), seed=3)
    new_outputs = new_model.predict([title_data[:4], text_body_data[:4], tags_data[:4]], verbose=0)

    class CustomerTicketModel(keras.Model):
        def __init__(self, num_departments):
            super().__init__()
            self.concat_layer = layers.Concatenate()
            self.mixing_layer = layers.Dense(8, activation="relu")
            self.priority_scorer = layers.Dense(1, activation="sigmoid")
            self.department_classifier = layers.Dense(num_departments, activation="softmax")

        def call(self, inputs):
            title = inputs["title"]
            text_body = inputs["text_body"]
            tags = inputs["tags"]
            features = self.concat_layer([title, text_body, tags])
            features = self.mixing_layer(features)
            priority = self.priority_scorer(features)
            department = self.department_classifier(features)
            return priority, department

    subclassed = CustomerTicketModel(num_departments=num_departments)
    priority, department = subclassed({"title": title_data, "text_body": text_body_data, "tags": tags_data})
    same_weights(subclassed)
    subclassed.compile(optimizer="rmsprop", loss=["mean_squared_error", "sparse_categorical_crossentropy"],
                       metrics=[["mean_absolute_error"], ["accuracy"]])
    sub_fit = subclassed.fit({"title": title_data, "text_body": text_body_data, "tags": tags_data},
                             [priority_data, department_data], epochs=2, batch_size=8, shuffle=False, verbose=0)
    sub_eval = subclassed.evaluate({"title": title_data, "text_body": text_body_data, "tags": tags_data},
                                   [priority_data, department_data], verbose=0)

    class Classifier(keras.Model):
        def __init__(self, num_classes=2):
            super().__init__()
            if num_classes == 2:
                num_units, activation = 1, "sigmoid"
            else:
                num_units, activation = num_classes, "softmax"
            self.dense = layers.Dense(num_units, activation=activation)

        def call(self, inputs):
            return self.dense(inputs)

    inputs = keras.Input(shape=(3,))
    features = layers.Dense(6, activation="relu")(inputs)
    outputs = Classifier(num_classes=10)(features)
    mixed = keras.Model(inputs=inputs, outputs=outputs)
    same_weights(mixed, seed=1)

    inputs = keras.Input(shape=(6,))
    binary_classifier = keras.Model(inputs=inputs, outputs=layers.Dense(1, activation="sigmoid")(inputs))

    class MyModel(keras.Model):
        def __init__(self, num_classes=2):
            super().__init__()
            self.dense = layers.Dense(6, activation="relu")
            self.classifier = binary_classifier

        def call(self, inputs):
            features = self.dense(inputs)
            return self.classifier(features)

    my_model = MyModel()
    x3 = rng.standard_normal((5, 3)).astype("float32")
    my_model(x3)
    same_weights(my_model, seed=2)
    return {"weights_before": weights_before, "shapes": shapes, "summary": summary,
            "input_first_weights": len(input_first.weights),
            "input_first_shape": list(input_first.output_shape),
            "fit": fit.history, "evaluated": evaluated, "priority": priority_preds, "department": department_preds,
            "by_name": by_name.history, "structure": structure, "new_model": list(new_outputs),
            "subclassed_first": [list(priority.shape), list(department.shape)], "sub_fit": sub_fit.history,
            "sub_eval": sub_eval, "sub_params": subclassed.count_params(),
            "mixed": mixed.predict(x3, verbose=0), "mixed_params": mixed.count_params(),
            "my_model": my_model.predict(x3, verbose=0), "my_model_weights": len(my_model.weights)}
