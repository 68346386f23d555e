"""More keras.io examples, small, run unchanged under real Keras 3 (torch backend) and under ``ember.keras``
(each program is a function of the Keras module ``K``): a Switch Transformer text classifier (a Router with
top-1 dispatch and a load-balancing ``add_loss``, experts in a Python list), a character-level LSTM
sequence-to-sequence model saved, reloaded and cut into encoder/decoder inference models, a graph neural
network node classifier (``ops.take`` / ``ops.segment_sum`` message passing in a subclassed model that holds
the graph as tensors), Gated Residual and Variable Selection Networks over named inputs, a neural decision
forest (Models holding ``add_weight`` leaves in a list of trees), memory-efficient quotient-remainder and
mixed-dimension embeddings for a dot-product recommender, Conv2D subclasses that standardize their kernel
(one overriding ``convolution_op``, one ``call``), and the Antirectifier layer saved with its config.

As in ``test_keras_programs``: weights get values from a fixed NumPy generator in ``model.weights`` order
(so that order, and every shape, must be Keras's), data is fixed and unshuffled, dropout rates are 0 and
training-time noise is left out (Keras's random streams are not ember's), and histories, evaluations and
predictions are compared at float32 tolerance."""
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from ember import keras as ek  # noqa: E402

from .test_keras_programs import _compare  # noqa: E402


def _init(model, seed=0, scale=0.3):
    """Same weights in both frameworks: batch-norm variances/scales near 1, the rest normal, by position."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape, name = tuple(w.shape), w.path.split("/")[-1]
        if name == "moving_variance":
            w.assign((0.5 + rng.random(shape)).astype(np.float32))
        elif name == "gamma":
            w.assign((1.0 + 0.1 * rng.standard_normal(shape)).astype(np.float32))
        else:
            w.assign((rng.standard_normal(shape) * scale).astype(np.float32))


def _np(K, x):
    return np.asarray(K.ops.convert_to_numpy(x))


def _structure(model):
    """What the two frameworks must agree on besides the numbers."""
    return {"names": [w.path.split("/")[-1] for w in model.weights], "shapes": [list(w.shape) for w in model.weights],
            "params": model.count_params(), "trainable": len(model.trainable_weights)}


# ---------------------------------------------------------------------------------------------------- programs

def switch_transformer(K):
    """keras.io "Text classification with Switch Transformer": a Router (Dense logits, softmax, ops.top_k,
    one_hot dispatch under an expert capacity, a load-balanced auxiliary loss added with add_loss), a Switch
    layer whose experts are Sequential feed-forward networks in a list, einsum dispatch/combine, inside a
    TransformerBlock after TokenAndPositionEmbedding. (The router's training-time jitter is left out, and the
    layers call super().__init__() first, which the torch backend needs.)"""
    ops, layers = K.ops, K.layers
    vocab_size, num_tokens_per_example, embed_dim, num_heads, ff_dim, num_experts = 20, 6, 8, 2, 6, 2
    batch_size = 4
    num_tokens_per_batch = batch_size * num_tokens_per_example

    def create_feedforward_network(ff_dim, embed_dim, name=None):
        return K.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)], name=name)

    def load_balanced_loss(router_probs, expert_mask):
        num_experts = ops.shape(expert_mask)[-1]
        density = ops.mean(expert_mask, axis=0)
        density_proxy = ops.mean(router_probs, axis=0)
        return ops.mean(density_proxy * density) * ops.cast((num_experts ** 2), "float32")

    class Router(layers.Layer):
        def __init__(self, num_experts, expert_capacity):
            super().__init__()   # first: on the torch backend a Layer is a torch Module
            self.num_experts = num_experts
            self.route = layers.Dense(units=num_experts)
            self.expert_capacity = expert_capacity

        def call(self, inputs, training=False):
            router_logits = self.route(inputs)
            router_probs = K.activations.softmax(router_logits, axis=-1)
            expert_gate, expert_index = ops.top_k(router_probs, k=1)
            expert_mask = ops.one_hot(expert_index, self.num_experts)
            self.add_loss(load_balanced_loss(router_probs, expert_mask))
            position_in_expert = ops.cast(ops.cumsum(expert_mask, axis=0) * expert_mask, "int32")
            expert_mask *= ops.cast(ops.less(ops.cast(position_in_expert, "int32"), self.expert_capacity),
                                    "float32")
            expert_mask_flat = ops.sum(expert_mask, axis=-1)
            expert_gate *= expert_mask_flat
            combined_tensor = ops.expand_dims(
                expert_gate * expert_mask_flat * ops.squeeze(ops.one_hot(expert_index, self.num_experts), 1), -1
            ) * ops.squeeze(ops.one_hot(ops.minimum(position_in_expert, self.expert_capacity - 1),
                                        self.expert_capacity), 1)   # torch's one_hot rejects positions past it
            dispatch_tensor = ops.cast(combined_tensor, "float32")
            return dispatch_tensor, combined_tensor

    class Switch(layers.Layer):
        def __init__(self, num_experts, embed_dim, ff_dim, num_tokens_per_batch, capacity_factor=1):
            super().__init__()
            self.num_experts = num_experts
            self.embed_dim = embed_dim
            self.experts = [create_feedforward_network(ff_dim, embed_dim) for _ in range(num_experts)]
            self.expert_capacity = num_tokens_per_batch // self.num_experts
            self.router = Router(self.num_experts, self.expert_capacity)

        def call(self, inputs):
            batch_size = ops.shape(inputs)[0]
            num_tokens_per_example = ops.shape(inputs)[1]
            inputs = ops.reshape(inputs, [num_tokens_per_batch, self.embed_dim])
            dispatch_tensor, combine_tensor = self.router(inputs)
            expert_inputs = ops.einsum("ab,acd->cdb", inputs, dispatch_tensor)
            expert_inputs = ops.reshape(expert_inputs, [self.num_experts, self.expert_capacity, self.embed_dim])
            expert_input_list = ops.unstack(expert_inputs, axis=0)
            expert_output_list = [self.experts[idx](expert_input) for idx, expert_input in enumerate(expert_input_list)]
            expert_outputs = ops.stack(expert_output_list, axis=1)
            expert_outputs_combined = ops.einsum("abc,xba->xc", expert_outputs, combine_tensor)
            return ops.reshape(expert_outputs_combined, [batch_size, num_tokens_per_example, self.embed_dim])

    class TransformerBlock(layers.Layer):
        def __init__(self, embed_dim, num_heads, ffn, dropout_rate=0.0):
            super().__init__()
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = ffn
            self.layernorm1 = layers.LayerNormalization(epsilon=1e-6)
            self.layernorm2 = layers.LayerNormalization(epsilon=1e-6)
            self.dropout1 = layers.Dropout(dropout_rate)
            self.dropout2 = layers.Dropout(dropout_rate)

        def call(self, inputs, training=False):
            attn_output = self.att(inputs, inputs)
            attn_output = self.dropout1(attn_output, training=training)
            out1 = self.layernorm1(inputs + attn_output)
            ffn_output = self.ffn(out1)
            ffn_output = self.dropout2(ffn_output, training=training)
            return self.layernorm2(out1 + ffn_output)

    class TokenAndPositionEmbedding(layers.Layer):
        def __init__(self, maxlen, vocab_size, embed_dim):
            super().__init__()
            self.token_emb = layers.Embedding(input_dim=vocab_size, output_dim=embed_dim)
            self.pos_emb = layers.Embedding(input_dim=maxlen, output_dim=embed_dim)

        def call(self, x):
            maxlen = ops.shape(x)[-1]
            positions = ops.arange(start=0, stop=maxlen, step=1)
            return self.token_emb(x) + self.pos_emb(positions)

    switch = Switch(num_experts, embed_dim, ff_dim, num_tokens_per_batch)
    transformer_block = TransformerBlock(embed_dim // num_heads, num_heads, switch)
    inputs = layers.Input(shape=(num_tokens_per_example,), batch_size=batch_size)
    x = TokenAndPositionEmbedding(num_tokens_per_example, vocab_size, embed_dim)(inputs)
    x = transformer_block(x)
    x = layers.GlobalAveragePooling1D()(x)
    x = layers.Dropout(0.0)(x)
    x = layers.Dense(ff_dim, activation="relu")(x)
    outputs = layers.Dense(2, activation="softmax")(x)
    classifier = K.Model(inputs=inputs, outputs=outputs)
    _init(classifier, scale=0.5)
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, vocab_size, (16, num_tokens_per_example))
    y_train = (x_train[:, 0] > vocab_size // 2).astype("int64")
    classifier.compile(optimizer=K.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                       metrics=["accuracy"], jit_compile=False)
    history = classifier.fit(x_train, y_train, batch_size=batch_size, epochs=2, shuffle=False,
                             validation_data=(x_train[:8], y_train[:8]), verbose=0)
    return {"history": history.history, "structure": _structure(classifier),
            "pred": classifier.predict(x_train[:4], batch_size=batch_size, verbose=0),
            "aux_losses": [_np(K, loss) for loss in classifier.losses]}


def char_seq2seq(K, tmp):
    """keras.io "Character-level recurrent sequence-to-sequence model": one-hot encoder/decoder character
    arrays with '\\t' start and '\\n' stop characters, an LSTM encoder with return_state whose states start
    the decoder LSTM (return_sequences and return_state), a softmax Dense, rmsprop and categorical
    crossentropy; the model saved as .keras, reloaded, and cut into an encoder model (model.input[0] to
    model.layers[2].output's states) and a decoder model fed its own states, decoding greedily."""
    input_texts = ["ab", "ba", "abc", "cab", "bca", "ca"]
    target_texts = ["\t" + t[::-1] + "\n" for t in input_texts]
    input_characters = sorted(set("".join(input_texts)))
    target_characters = sorted(set("".join(target_texts)))
    num_encoder_tokens, num_decoder_tokens = len(input_characters), len(target_characters)
    max_encoder_seq_length = max(len(t) for t in input_texts)
    max_decoder_seq_length = max(len(t) for t in target_texts)
    input_token_index = {char: i for i, char in enumerate(input_characters)}
    target_token_index = {char: i for i, char in enumerate(target_characters)}
    encoder_input_data = np.zeros((len(input_texts), max_encoder_seq_length, num_encoder_tokens), dtype="float32")
    decoder_input_data = np.zeros((len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
    decoder_target_data = np.zeros((len(input_texts), max_decoder_seq_length, num_decoder_tokens), dtype="float32")
    for i, (input_text, target_text) in enumerate(zip(input_texts, target_texts)):
        for t, char in enumerate(input_text):
            encoder_input_data[i, t, input_token_index[char]] = 1.0
        encoder_input_data[i, t + 1:, input_token_index["a"]] = 1.0
        for t, char in enumerate(target_text):
            decoder_input_data[i, t, target_token_index[char]] = 1.0
            if t > 0:
                decoder_target_data[i, t - 1, target_token_index[char]] = 1.0
        decoder_input_data[i, t + 1:, target_token_index["\n"]] = 1.0
        decoder_target_data[i, t:, target_token_index["\n"]] = 1.0
    latent_dim = 8

    encoder_inputs = K.Input(shape=(None, num_encoder_tokens))
    encoder = K.layers.LSTM(latent_dim, return_state=True)
    encoder_outputs, state_h, state_c = encoder(encoder_inputs)
    encoder_states = [state_h, state_c]
    decoder_inputs = K.Input(shape=(None, num_decoder_tokens))
    decoder_lstm = K.layers.LSTM(latent_dim, return_sequences=True, return_state=True)
    decoder_outputs, _, _ = decoder_lstm(decoder_inputs, initial_state=encoder_states)
    decoder_dense = K.layers.Dense(num_decoder_tokens, activation="softmax")
    decoder_outputs = decoder_dense(decoder_outputs)
    model = K.Model([encoder_inputs, decoder_inputs], decoder_outputs)
    _init(model, scale=0.5)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"], jit_compile=False)
    history = model.fit([encoder_input_data, decoder_input_data], decoder_target_data, batch_size=2, epochs=3,
                        validation_split=0.34, shuffle=False, verbose=0)
    model.save(os.path.join(tmp, "s2s_model.keras"))

    model = K.models.load_model(os.path.join(tmp, "s2s_model.keras"))
    encoder_inputs = model.input[0]
    encoder_outputs, state_h_enc, state_c_enc = model.layers[2].output
    encoder_model = K.Model(encoder_inputs, [state_h_enc, state_c_enc])
    decoder_inputs = model.input[1]
    decoder_state_input_h = K.Input(shape=(latent_dim,))
    decoder_state_input_c = K.Input(shape=(latent_dim,))
    decoder_states_inputs = [decoder_state_input_h, decoder_state_input_c]
    decoder_lstm = model.layers[3]
    decoder_outputs, state_h_dec, state_c_dec = decoder_lstm(decoder_inputs, initial_state=decoder_states_inputs)
    decoder_outputs = model.layers[4](decoder_outputs)
    decoder_model = K.Model([decoder_inputs] + decoder_states_inputs, [decoder_outputs, state_h_dec, state_c_dec])
    reverse_target_char_index = {i: char for char, i in target_token_index.items()}

    def decode_sequence(input_seq):
        states_value = encoder_model.predict(input_seq, verbose=0)
        target_seq = np.zeros((1, 1, num_decoder_tokens), "float32")
        target_seq[0, 0, target_token_index["\t"]] = 1.0
        decoded_sentence, probabilities = "", []
        while True:
            output_tokens, h, c = decoder_model.predict([target_seq] + states_value, verbose=0)
            probabilities.append(output_tokens[0, -1, :])
            sampled_char = reverse_target_char_index[int(np.argmax(output_tokens[0, -1, :]))]
            decoded_sentence += sampled_char
            if sampled_char == "\n" or len(decoded_sentence) > max_decoder_seq_length:
                break
            target_seq = np.zeros((1, 1, num_decoder_tokens), "float32")
            target_seq[0, 0, target_token_index[sampled_char]] = 1.0
            states_value = [h, c]
        return decoded_sentence, probabilities

    decoded = [decode_sequence(encoder_input_data[i:i + 1]) for i in range(2)]
    return {"history": history.history, "layers": [type(layer).__name__ for layer in model.layers],
            "decoded": [d[0] for d in decoded], "probabilities": [d[1] for d in decoded],
            "structure": _structure(model), "decoder_inputs": len(decoder_model.inputs)}


def gnn_node_classification(K):
    """keras.io "Node Classification with Graph Neural Networks": create_ffn Sequential blocks
    (BatchNormalization, Dropout, Dense gelu), a GraphConvLayer (messages from ops.take of the neighbours,
    scaled by edge weights, ops.segment_sum aggregation, a concat update, L2 normalization) and a
    GNNNodeClassifier(keras.Model) holding the graph (features, edges, weights) as tensors and trained by fit
    on node indices."""
    ops, layers = K.ops, K.layers
    rng = np.random.default_rng(2)
    num_nodes, num_features, num_classes, hidden_units = 10, 5, 3, [6, 6]
    node_features = rng.standard_normal((num_nodes, num_features)).astype("float32")
    edges = np.array([rng.integers(0, num_nodes, 24), rng.integers(0, num_nodes, 24)], dtype="int64")
    labels = rng.integers(0, num_classes, num_nodes)

    def create_ffn(hidden_units, dropout_rate, name=None):
        fnn_layers = []
        for units in hidden_units:
            fnn_layers.append(layers.BatchNormalization())
            fnn_layers.append(layers.Dropout(dropout_rate))
            fnn_layers.append(layers.Dense(units, activation="gelu"))
        return K.Sequential(fnn_layers, name=name)

    class GraphConvLayer(layers.Layer):
        def __init__(self, hidden_units, dropout_rate=0.2, aggregation_type="mean", combination_type="concat",
                     normalize=False, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.aggregation_type = aggregation_type
            self.combination_type = combination_type
            self.normalize = normalize
            self.ffn_prepare = create_ffn(hidden_units, dropout_rate)
            self.update_fn = create_ffn(hidden_units, dropout_rate)

        def prepare(self, node_repesentations, weights=None):
            messages = self.ffn_prepare(node_repesentations)
            if weights is not None:
                messages = messages * ops.expand_dims(weights, -1)
            return messages

        def aggregate(self, node_indices, neighbour_messages, node_repesentations):
            num_nodes = node_repesentations.shape[0]
            if self.aggregation_type == "sum":
                return ops.segment_sum(neighbour_messages, node_indices, num_segments=num_nodes)
            return ops.segment_max(neighbour_messages, node_indices, num_segments=num_nodes)

        def update(self, node_repesentations, aggregated_messages):
            h = ops.concatenate([node_repesentations, aggregated_messages], axis=1)
            node_embeddings = self.update_fn(h)
            if self.normalize:
                node_embeddings = node_embeddings / ops.sqrt(ops.maximum(
                    ops.sum(ops.square(node_embeddings), axis=-1, keepdims=True), 1e-12))
            return node_embeddings

        def call(self, inputs):
            node_repesentations, edges, edge_weights = inputs
            node_indices, neighbour_indices = edges[0], edges[1]
            neighbour_repesentations = ops.take(node_repesentations, neighbour_indices, axis=0)
            neighbour_messages = self.prepare(neighbour_repesentations, edge_weights)
            aggregated_messages = self.aggregate(node_indices, neighbour_messages, node_repesentations)
            return self.update(node_repesentations, aggregated_messages)

    class GNNNodeClassifier(K.Model):
        def __init__(self, graph_info, num_classes, hidden_units, aggregation_type="sum",
                     combination_type="concat", dropout_rate=0.2, normalize=True, *args, **kwargs):
            super().__init__(*args, **kwargs)
            node_features, edges, edge_weights = graph_info
            self.node_features = node_features
            self.edges = edges
            self.edge_weights = edge_weights
            if self.edge_weights is None:
                self.edge_weights = ops.ones(shape=edges.shape[1])
            self.edge_weights = self.edge_weights / ops.sum(self.edge_weights)
            self.preprocess = create_ffn(hidden_units, dropout_rate, name="preprocess")
            self.conv1 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type, combination_type, normalize,
                                        name="graph_conv1")
            self.conv2 = GraphConvLayer(hidden_units, dropout_rate, aggregation_type, combination_type, normalize,
                                        name="graph_conv2")
            self.postprocess = create_ffn(hidden_units, dropout_rate, name="postprocess")
            self.compute_logits = layers.Dense(units=num_classes, name="logits")

        def call(self, input_node_indices):
            x = self.preprocess(self.node_features)
            x1 = self.conv1((x, self.edges, self.edge_weights))
            x = x1 + x
            x2 = self.conv2((x, self.edges, self.edge_weights))
            x = x2 + x
            x = self.postprocess(x)
            node_embeddings = ops.take(x, ops.cast(input_node_indices, "int32"), axis=0)
            return self.compute_logits(node_embeddings)

    graph_info = (ops.convert_to_tensor(node_features), ops.convert_to_tensor(edges), None)
    gnn_model = GNNNodeClassifier(graph_info=graph_info, num_classes=num_classes, hidden_units=hidden_units,
                                  dropout_rate=0.0, name="gnn_model")
    first = _np(K, gnn_model(np.array([1, 10 - 1, 2])))
    _init(gnn_model, scale=0.5)
    gnn_model.compile(optimizer=K.optimizers.Adam(0.01), jit_compile=False,
                      loss=K.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=[K.metrics.SparseCategoricalAccuracy(name="acc")])
    train_indices = np.arange(8)
    history = gnn_model.fit(x=train_indices, y=labels[:8], epochs=3, batch_size=4, validation_split=0.25,
                            shuffle=False, verbose=0)
    return {"first_shape": list(first.shape), "history": history.history, "structure": _structure(gnn_model),
            "paths": [w.path for w in gnn_model.weights],
            "eval": gnn_model.evaluate(np.arange(8, 10), labels[8:], verbose=0),
            "pred": gnn_model.predict(np.arange(num_nodes), verbose=0)}


def gated_residual_variable_selection(K):
    """keras.io "Classification with Gated Residual and Variable Selection Networks": named numeric and
    categorical inputs (shape (1,)), categorical ones through an Embedding and numeric ones through a
    Dense, a GatedLinearUnit, GatedResidualNetworks (elu, dropout, a projection used only when the width
    changes, LayerNormalization) kept in a list, and a VariableSelection layer (softmax weights, matmul over
    the stacked features), a sigmoid output."""
    ops, layers = K.ops, K.layers
    encoding_size = 4
    numeric, categorical = ["age", "hours"], {"workclass": 5, "education": 7}

    class GatedLinearUnit(layers.Layer):
        def __init__(self, units):
            super().__init__()
            self.linear = layers.Dense(units)
            self.sigmoid = layers.Dense(units, activation="sigmoid")

        def call(self, inputs):
            return self.linear(inputs) * self.sigmoid(inputs)

    class GatedResidualNetwork(layers.Layer):
        def __init__(self, units, dropout_rate):
            super().__init__()
            self.units = units
            self.elu_dense = layers.Dense(units, activation="elu")
            self.linear_dense = layers.Dense(units)
            self.dropout = layers.Dropout(dropout_rate)
            self.gated_linear_unit = GatedLinearUnit(units)
            self.layer_norm = layers.LayerNormalization()
            self.project = layers.Dense(units)

        def call(self, inputs):
            x = self.elu_dense(inputs)
            x = self.linear_dense(x)
            x = self.dropout(x)
            if inputs.shape[-1] != self.units:
                inputs = self.project(inputs)
            x = inputs + self.gated_linear_unit(x)
            return self.layer_norm(x)

    class VariableSelection(layers.Layer):
        def __init__(self, num_features, units, dropout_rate):
            super().__init__()
            self.grns = list()
            for idx in range(num_features):
                self.grns.append(GatedResidualNetwork(units, dropout_rate))
            self.grn_concat = GatedResidualNetwork(num_features, dropout_rate)
            self.softmax = layers.Dense(units=num_features, activation="softmax")

        def call(self, inputs):
            v = layers.concatenate(inputs)
            v = self.grn_concat(v)
            v = ops.expand_dims(self.softmax(v), axis=-1)
            x = []
            for idx, input in enumerate(inputs):
                x.append(self.grns[idx](input))
            x = ops.stack(x, axis=1)
            return ops.squeeze(ops.matmul(ops.transpose(v, axes=[0, 2, 1]), x), axis=1)

    inputs = {name: layers.Input(name=name, shape=(1,), dtype="float32") for name in numeric}
    inputs.update({name: layers.Input(name=name, shape=(1,), dtype="int32") for name in categorical})
    encoded = []
    for name in ["age", "workclass", "hours", "education"]:
        if name in categorical:
            embedding = layers.Embedding(input_dim=categorical[name], output_dim=encoding_size)
            encoded.append(ops.squeeze(embedding(inputs[name]), axis=1))
        else:
            encoded.append(layers.Dense(units=encoding_size)(inputs[name]))
    features = VariableSelection(len(encoded), encoding_size, 0.0)(encoded)
    outputs = layers.Dense(units=1, activation="sigmoid")(features)
    model = K.Model(inputs=inputs, outputs=outputs)
    _init(model, scale=0.5)
    rng = np.random.default_rng(3)
    n = 16
    data = {"age": rng.standard_normal((n, 1)).astype("float32"), "hours": rng.standard_normal((n, 1)).astype("float32"),
            "workclass": rng.integers(0, 5, (n, 1)).astype("int32"),
            "education": rng.integers(0, 7, (n, 1)).astype("int32")}
    target = (data["age"][:, 0] + data["workclass"][:, 0] / 5 > 0.5).astype("float32")
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.01), loss=K.losses.BinaryCrossentropy(),
                  metrics=[K.metrics.BinaryAccuracy(name="accuracy")], jit_compile=False)
    history = model.fit(data, target, epochs=2, batch_size=4, shuffle=False, verbose=0)
    return {"history": history.history, "structure": _structure(model),
            "eval": model.evaluate(data, target, verbose=0), "pred": model.predict(data, verbose=0)[:4]}


def neural_decision_forest(K):
    """keras.io "Classification with Neural Decision Forests": a NeuralDecisionTree(keras.Model) with a
    feature mask from np.random.choice, leaf class weights from add_weight in __init__, a sigmoid decision
    Dense, routing probabilities built level by level (ops.reshape / ops.tile / slicing,
    layers.concatenate([d, 1 - d])), and a NeuralDecisionForest averaging a list of trees, after
    BatchNormalization in a functional model."""
    ops, layers = K.ops, K.layers
    num_features, num_classes = 6, 3

    class NeuralDecisionTree(K.Model):
        def __init__(self, depth, num_features, used_features_rate, num_classes):
            super().__init__()
            self.depth = depth
            self.num_leaves = 2 ** depth
            self.num_classes = num_classes
            num_used_features = int(num_features * used_features_rate)
            one_hot = np.eye(num_features)
            sampled_feature_indices = np.random.choice(np.arange(num_features), num_used_features, replace=False)
            self.used_features_mask = ops.convert_to_tensor(one_hot[sampled_feature_indices], dtype="float32")
            self.pi = self.add_weight(initializer="random_normal", shape=[self.num_leaves, self.num_classes],
                                      dtype="float32", trainable=True)
            self.decision_fn = layers.Dense(units=self.num_leaves, activation="sigmoid", name="decision")

        def call(self, features):
            batch_size = ops.shape(features)[0]
            features = ops.matmul(features, ops.transpose(self.used_features_mask))
            decisions = ops.expand_dims(self.decision_fn(features), axis=2)
            decisions = layers.concatenate([decisions, 1 - decisions], axis=2)
            mu = ops.ones([batch_size, 1, 1])
            begin_idx, end_idx = 1, 2
            for level in range(self.depth):
                mu = ops.reshape(mu, [batch_size, -1, 1])
                mu = ops.tile(mu, (1, 1, 2))
                level_decisions = decisions[:, begin_idx:end_idx, :]
                mu = mu * level_decisions
                begin_idx = end_idx
                end_idx = begin_idx + 2 ** (level + 1)
            mu = ops.reshape(mu, [batch_size, self.num_leaves])
            probabilities = K.activations.softmax(self.pi)
            return ops.matmul(mu, probabilities)

    class NeuralDecisionForest(K.Model):
        def __init__(self, num_trees, depth, num_features, used_features_rate, num_classes):
            super().__init__()
            self.ensemble = []
            for _ in range(num_trees):
                self.ensemble.append(NeuralDecisionTree(depth, num_features, used_features_rate, num_classes))

        def call(self, inputs):
            batch_size = ops.shape(inputs)[0]
            outputs = ops.zeros([batch_size, num_classes])
            for tree in self.ensemble:
                outputs += tree(inputs)
            outputs /= len(self.ensemble)
            return outputs

    np.random.seed(4)
    forest = NeuralDecisionForest(num_trees=2, depth=2, num_features=num_features, used_features_rate=0.5,
                                  num_classes=num_classes)
    inputs = K.Input((num_features,))
    features = layers.BatchNormalization()(inputs)
    model = K.Model(inputs=inputs, outputs=forest(features))
    _init(model, scale=0.7)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((12, num_features)).astype("float32")
    y = rng.integers(0, num_classes, 12)
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.05), loss=K.losses.SparseCategoricalCrossentropy(),
                  metrics=[K.metrics.SparseCategoricalAccuracy()], jit_compile=False)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    return {"history": history.history, "structure": _structure(model),
            "masks": [_np(K, tree.used_features_mask) for tree in forest.ensemble],
            "eval": model.evaluate(x, y, verbose=0), "pred": model.predict(x[:3], verbose=0)}


def memory_efficient_embeddings(K):
    """keras.io "Memory-efficient embeddings for recommendation systems" (with integer ids where the example
    has StringLookup, which needs TensorFlow): a QREmbedding (ops.floor_divide and ops.mod of the id into two
    small Embeddings multiplied together), an MDEmbedding (a block id per item from a constant table with
    ops.take, one Embedding per block, projected to the base size by a Dense or an identity Lambda, masked and
    summed), scalar inputs (Input(shape=())), a Dot(axes=1) prediction, MSE and RootMeanSquaredError."""
    ops, layers = K.ops, K.layers
    num_users, num_movies, base_embedding_dim = 12, 10, 4

    class QREmbedding(layers.Layer):
        def __init__(self, vocabulary_size, embedding_dim, num_buckets, name=None):
            super().__init__(name=name)
            self.num_buckets = num_buckets
            self.q_embeddings = layers.Embedding(vocabulary_size // num_buckets + 1, embedding_dim)
            self.r_embeddings = layers.Embedding(num_buckets, embedding_dim)

        def call(self, inputs):
            embedding_index = ops.cast(inputs, "int32")
            quotient_index = ops.floor_divide(embedding_index, self.num_buckets)
            remainder_index = ops.mod(embedding_index, self.num_buckets)
            return self.q_embeddings(quotient_index) * self.r_embeddings(remainder_index)

    class MDEmbedding(layers.Layer):
        def __init__(self, blocks_vocabulary, blocks_embedding_dims, base_embedding_dim, name=None):
            super().__init__(name=name)
            self.num_blocks = len(blocks_vocabulary)
            table = np.zeros(sum(len(b) for b in blocks_vocabulary), "int32")
            for block_idx, block_vocab in enumerate(blocks_vocabulary):
                table[block_vocab] = block_idx
            self.vocab_to_block = ops.convert_to_tensor(table)
            self.base_embedding_dim = base_embedding_dim
            self.block_embedding_encoders = []
            self.block_embedding_projectors = []
            for idx in range(self.num_blocks):
                embedding_dim = blocks_embedding_dims[idx]
                self.block_embedding_encoders.append(layers.Embedding(len(table), embedding_dim))
                if embedding_dim == base_embedding_dim:
                    self.block_embedding_projectors.append(layers.Lambda(lambda x: x))
                else:
                    self.block_embedding_projectors.append(layers.Dense(units=base_embedding_dim))

        def call(self, inputs):
            inputs = ops.cast(inputs, "int32")
            block_indices = ops.take(self.vocab_to_block, inputs)
            embeddings = ops.zeros((ops.shape(inputs)[0], self.base_embedding_dim))
            for idx in range(self.num_blocks):
                block_embeddings = self.block_embedding_encoders[idx](inputs)
                block_embeddings = self.block_embedding_projectors[idx](block_embeddings)
                mask = ops.expand_dims(ops.cast(block_indices == idx, "float32"), 1)
                embeddings += block_embeddings * mask
            return embeddings

    user_input = layers.Input(name="user_id", shape=(), dtype="int32")
    user_embedding = QREmbedding(num_users, base_embedding_dim, num_buckets=5, name="user_embedding")(user_input)
    movie_input = layers.Input(name="movie_id", shape=(), dtype="int32")
    movie_embedding = MDEmbedding([list(range(0, 4)), list(range(4, 10))], [base_embedding_dim, 2],
                                  base_embedding_dim, name="movie_embedding")(movie_input)
    prediction = layers.Dot(axes=1, name="prediction")([user_embedding, movie_embedding])
    model = K.Model(inputs=[user_input, movie_input], outputs=prediction)
    _init(model, scale=0.6)
    rng = np.random.default_rng(6)
    users, movies = rng.integers(0, num_users, 20).astype("int32"), rng.integers(0, num_movies, 20).astype("int32")
    ratings = rng.uniform(0, 1, (20, 1)).astype("float32")
    model.compile(optimizer=K.optimizers.Adam(learning_rate=0.05), loss=K.losses.MeanSquaredError(),
                  metrics=[K.metrics.RootMeanSquaredError(name="rmse")], jit_compile=False)
    history = model.fit(x={"user_id": users, "movie_id": movies}, y=ratings, epochs=2, batch_size=5,
                        validation_split=0.2, shuffle=False, verbose=0)
    return {"history": history.history, "structure": _structure(model), "output_shape": list(model.output.shape),
            "pred": model.predict({"user_id": users[:4], "movie_id": movies[:4]}, verbose=0)}


def standardized_conv(K):
    """keras.io "Customizing the convolution operation of a Conv2D layer": StandardizedConv2DWithOverride
    (overrides convolution_op: the kernel standardized with ops.moments, then ops.conv; Conv2D adds the bias
    and the activation) and StandardizedConv2DWithCall (overrides call, adds its bias itself), in a small
    Sequential classifier; the two forms agree on the same weights."""
    ops, layers = K.ops, K.layers

    class StandardizedConv2DWithOverride(layers.Conv2D):
        def convolution_op(self, inputs, kernel):
            mean, var = ops.moments(kernel, axes=[0, 1, 2], keepdims=True)
            return ops.conv(inputs, (kernel - mean) / ops.sqrt(var + 1e-10), padding="valid",
                            strides=list(self.strides), dilation_rate=list(self.dilation_rate))

    class StandardizedConv2DWithCall(layers.Conv2D):
        def call(self, inputs):
            mean, var = ops.moments(self.kernel, axes=[0, 1, 2], keepdims=True)
            result = ops.conv(inputs, (self.kernel - mean) / ops.sqrt(var + 1e-10), padding="valid",
                              strides=list(self.strides), dilation_rate=list(self.dilation_rate))
            if self.use_bias:
                result = result + self.bias
            return result

    rng = np.random.default_rng(7)
    x = rng.random((8, 8, 8, 1)).astype("float32")
    y = K.utils.to_categorical(rng.integers(0, 3, 8), 3)
    model = K.Sequential([K.Input(shape=(8, 8, 1)), StandardizedConv2DWithCall(4, kernel_size=(3, 3), activation="relu"),
                          layers.Conv2D(4, kernel_size=(3, 3), activation="relu"), layers.MaxPooling2D(pool_size=(2, 2)),
                          StandardizedConv2DWithOverride(4, kernel_size=(2, 2), activation="relu"),
                          layers.Flatten(), layers.Dropout(0.0), layers.Dense(3, activation="softmax")])
    _init(model, scale=0.5)
    same_in = K.Input((5, 5, 2))
    over = StandardizedConv2DWithOverride(3, 2)
    call = StandardizedConv2DWithCall(3, 2)
    over(same_in), call(same_in)
    kernel = rng.standard_normal((2, 2, 2, 3)).astype("float32")
    for layer in (over, call):
        layer.set_weights([kernel, np.full(3, 0.1, "float32")])
    probe = rng.standard_normal((2, 5, 5, 2)).astype("float32")
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"], jit_compile=False)
    history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    return {"history": history.history, "structure": _structure(model), "pred": model.predict(x[:2], verbose=0),
            "override": _np(K, over(probe)), "call": _np(K, call(probe))}


def antirectifier(K, tmp):
    """keras.io "Simple custom layer example: Antirectifier": inputs centred in place (inputs -= mean), the
    concatenation of relu(x) and relu(-x) mixed by a he_normal kernel made in build; get_config with the
    serialized initializer; the model saved as .keras with the class in custom_objects and reloaded."""
    ops, layers = K.ops, K.layers

    class Antirectifier(layers.Layer):
        def __init__(self, initializer="he_normal", **kwargs):
            super().__init__(**kwargs)
            self.initializer = K.initializers.get(initializer)

        def build(self, input_shape):
            output_dim = input_shape[-1]
            self.kernel = self.add_weight(shape=(output_dim * 2, output_dim), initializer=self.initializer,
                                          name="kernel", trainable=True)

        def call(self, inputs):
            inputs -= ops.mean(inputs, axis=-1, keepdims=True)
            pos = ops.relu(inputs)
            neg = ops.relu(-inputs)
            concatenated = ops.concatenate([pos, neg], axis=-1)
            return ops.matmul(concatenated, self.kernel)

        def get_config(self):
            base_config = super().get_config()
            config = {"initializer": K.initializers.serialize(self.initializer)}
            return dict(list(base_config.items()) + list(config.items()))

    model = K.Sequential([K.Input(shape=(6,)), layers.Dense(8), Antirectifier(), layers.Dense(8), Antirectifier(),
                          layers.Dropout(0.0), layers.Dense(3)])
    _init(model, scale=0.4)
    rng = np.random.default_rng(8)
    x, y = rng.standard_normal((12, 6)).astype("float32"), rng.integers(0, 3, 12)
    model.compile(loss=K.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer=K.optimizers.RMSprop(),
                  metrics=[K.metrics.SparseCategoricalAccuracy()], jit_compile=False)
    history = model.fit(x, y, batch_size=4, epochs=2, validation_split=0.25, shuffle=False, verbose=0)
    path = os.path.join(tmp, "antirectifier.keras")
    model.save(path)
    reloaded = K.models.load_model(path, custom_objects={"Antirectifier": Antirectifier})
    config = model.layers[1].get_config()
    return {"history": history.history, "structure": _structure(model), "eval": model.evaluate(x, y, verbose=0),
            "reloaded": reloaded.predict(x[:3], verbose=0), "pred": model.predict(x[:3], verbose=0),
            "config": {k: str(v) for k, v in sorted(config.items()) if k != "name"}}


PROGRAMS = [switch_transformer, gnn_node_classification, gated_residual_variable_selection, neural_decision_forest,
            memory_efficient_embeddings, standardized_conv]
FILE_PROGRAMS = [char_seq2seq, antirectifier]


@pytest.mark.parametrize("program", PROGRAMS, ids=[p.__name__ for p in PROGRAMS])
def test_keras_io_example_runs_the_same_under_ember(program):
    # Each program starts as a fresh script does: automatic names ('dense_3', 'variable_1') numbered from 0.
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    expected = program(keras)
    ek.backend.clear_session()
    got = program(ek)
    _compare(got, expected, program.__name__)


@pytest.mark.parametrize("program", FILE_PROGRAMS, ids=[p.__name__ for p in FILE_PROGRAMS])
def test_keras_io_example_with_files_runs_the_same_under_ember(program, tmp_path):
    keras.utils.set_random_seed(0)
    (tmp_path / "k").mkdir()
    (tmp_path / "e").mkdir()
    keras.backend.clear_session()
    expected = program(keras, str(tmp_path / "k"))
    ek.backend.clear_session()
    got = program(ek, str(tmp_path / "e"))
    _compare(got, expected, program.__name__)


# ------------------------------------------------------------------------------------- focused regressions
# Each bug the programs above found, alone, against Keras.

def _lists_of_layers(K):
    class Experts(K.layers.Layer):
        def __init__(self):
            super().__init__()
            self.experts = [K.layers.Dense(3), K.layers.Dense(3)]   # assigned as a list
            self.later = []
            self.later.append(K.layers.BatchNormalization())          # appended after assignment
            self.gate = K.layers.Dense(2)

        def call(self, x):
            x = self.experts[0](x) + self.experts[1](x)
            return self.gate(self.later[0](x))

    class Model(K.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [Experts()]
            self.head = K.layers.Dense(1)

        def call(self, x):
            return self.head(self.blocks[0](x))
    return Model()


def test_layers_held_in_lists_are_tracked_like_keras(tmp_path):
    """`self.experts = [Dense(3), ...]` and `self.later.append(layer)`: the layers' weights are the model's, in
    Keras's order, trained by fit, and saved where Keras saves them (ember lost them: weights, training and
    files left out every layer kept in a list)."""
    x = np.random.default_rng(0).standard_normal((4, 4)).astype("float32")
    y = np.random.default_rng(1).standard_normal((4, 1)).astype("float32")
    out = []
    for K in (keras, ek):
        K.backend.clear_session()
        model = _lists_of_layers(K)
        model(x)
        _init(model)
        model.compile(K.optimizers.SGD(0.1), "mse", jit_compile=False)
        history = model.fit(x, y, epochs=2, verbose=0, shuffle=False)
        out.append(({"paths": [w.path for w in model.weights], "trainable": len(model.trainable_weights),
                     "layers": [type(layer).__name__ for layer in model.layers]},
                    history.history["loss"], [_np(K, w) for w in model.weights]))
        model.save_weights(str(tmp_path / f"{K.__name__}.weights.h5"))
    (ks, kl, kw), (es, el, ew) = out
    assert es == ks
    np.testing.assert_allclose(el, kl, rtol=1e-5)
    for a, b in zip(ew, kw):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    ek.backend.clear_session()
    model = _lists_of_layers(ek)
    model(x)
    model.load_weights(str(tmp_path / "keras.weights.h5"))   # Keras's file, Keras's group names
    for a, b in zip(model.weights, kw):
        np.testing.assert_allclose(a.numpy(), b)


def test_ops_on_symbolic_tensors_build_functional_models_like_keras():
    """keras.ops called on KerasTensors are graph operations (ember raised "A symbolic KerasTensor has no
    value"): squeeze, expand_dims, concatenate, take, matmul, transpose, sum, cast; not layers."""
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 5, (3, 1)).astype("int32")
    feats = rng.standard_normal((3, 4)).astype("float32")
    out = []
    for K in (keras, ek):
        ops = K.ops
        i = K.Input((1,), dtype="int32")
        f = K.Input((4,))
        e = ops.squeeze(K.layers.Embedding(5, 4)(i), axis=1)
        both = ops.concatenate([e, f], axis=-1)
        s = ops.sum(ops.expand_dims(both, -1) * 2.0, axis=-1)
        m = ops.matmul(ops.expand_dims(s, 1), ops.transpose(ops.expand_dims(s, 1), axes=[0, 2, 1]))
        t = ops.take(ops.cast(both, "float64"), [0, 1], axis=1)
        model = K.Model([i, f], [K.layers.Dense(2)(s), m, t])
        _init(model)
        got = model.predict([ids, feats], verbose=0)
        out.append(([type(layer).__name__ for layer in model.layers], [list(t.shape) for t in model.outputs],
                     got, model.count_params()))
    (kl, ks, kp, kn), (el, es, ep, en) = out
    assert (el, es, en) == (kl, ks, kn)
    for a, b in zip(ep, kp):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_conv2d_convolution_op_override_like_keras():
    """A Conv2D subclass overriding convolution_op(inputs, kernel) keeps Conv2D's bias and activation (ember
    ignored the override)."""
    x = np.random.default_rng(3).standard_normal((2, 5, 5, 2)).astype("float32")
    kernel = np.random.default_rng(4).standard_normal((3, 3, 2, 3)).astype("float32")
    out = []
    for K in (keras, ek):
        class Doubled(K.layers.Conv2D):
            def convolution_op(self, inputs, kernel):
                return K.ops.conv(inputs, kernel * 2.0, strides=list(self.strides), padding=self.padding)
        layer = Doubled(3, 3, padding="same", activation="relu")
        layer(x)
        layer.set_weights([kernel, np.full(3, -0.5, "float32")])
        out.append(_np(K, layer(x)))
    np.testing.assert_allclose(out[1], out[0], rtol=1e-5, atol=1e-5)


def test_fit_of_a_model_whose_call_takes_no_training_argument_like_keras():
    """Keras's torch trainer passes training=True only to a call that takes it, so a subclassed model with
    call(inputs) trains its BatchNormalization in inference mode (ember used batch statistics)."""
    x = np.random.default_rng(5).standard_normal((8, 3)).astype("float32")
    y = np.random.default_rng(6).standard_normal((8, 1)).astype("float32")
    out = []
    for K in (keras, ek):
        class NoTraining(K.Model):
            def __init__(self):
                super().__init__()
                self.norm = K.layers.BatchNormalization()
                self.dense = K.layers.Dense(1)

            def call(self, inputs):
                return self.dense(self.norm(inputs))
        model = NoTraining()
        model(x)
        _init(model)
        model.compile(K.optimizers.SGD(0.1), "mse", jit_compile=False)
        out.append((model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"],
                    [_np(K, w) for w in model.weights]))
    np.testing.assert_allclose(out[1][0], out[0][0], rtol=1e-5)
    for a, b in zip(out[1][1], out[0][1]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_unnamed_weights_and_layer_config_dtype_like_keras():
    """add_weight() without a name gives 'variable', 'variable_1' ... (ember: 'variable' each time), and
    get_config()['dtype'] is the serialized DTypePolicy (ember: the dtype's name)."""
    out = []
    for K in (keras, ek):
        K.backend.clear_session()

        class Leaves(K.layers.Layer):
            def build(self, input_shape):
                self.a = self.add_weight(shape=(2,))
                self.b = self.add_weight(shape=(2,))
        layer = Leaves()
        layer.build((None, 2))
        dense = K.layers.Dense(2, dtype="float64")
        again = K.layers.Dense.from_config(dense.get_config())
        out.append(([w.name for w in layer.weights], [w.path for w in layer.weights], dense.get_config()["dtype"],
                    again.compute_dtype))
    assert out[1] == out[0]
