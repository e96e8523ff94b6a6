"""The supervised model families (cnn, cnn1d, lstm/gru, transfer) learn on a small
budget, resume from a checkpoint, and reject a wrong or corrupted one."""
import json
import os

import numpy as np
import pytest

import fastdl
from fastdl.cli import main
from fastdl.testing import gradcheck


def _digits():
    pytest.importorskip("sklearn", reason="scikit-learn provides the digits data")
    from fastdl.models import cnn
    return cnn.load_digits_tensors()


def test_cnn_learns_digits():
    from fastdl.models import cnn
    data = _digits()
    fastdl.manual_seed(0)
    model = cnn.DigitsCNN(8)
    acc = cnn.fit(model, data, epochs=2, lr=1e-2)
    assert acc > 0.85  # chance is 0.1


def test_random_shift_moves_each_image_by_at_most_one_pixel():
    from fastdl.models import cnn
    x = fastdl.zeros(64, 1, 8, 8)
    x[:, :, 4, 4] = 1.0
    out = cnn.random_shift(x, 1).numpy()
    assert out.shape == (64, 1, 8, 8)
    assert (out.sum(axis=(1, 2, 3)) == 1).all()
    rows, cols = out[:, 0].nonzero()[1:]
    assert set(rows) <= {3, 4, 5} and set(cols) <= {3, 4, 5}
    assert len(set(zip(rows, cols))) > 3  # per-image offsets, not one shift for the batch


def test_cnn_cli_resume_continues_history(tmp_path, capsys):
    _digits()
    out = str(tmp_path / "run")
    assert main(["train", "cnn", "--epochs", "1", "--out", out, "--quiet"]) == 0
    assert main(["train", "cnn", "--epochs", "2", "--resume", out, "--out", out, "--quiet"]) == 0
    assert "test_accuracy" in capsys.readouterr().out
    with open(os.path.join(out, "metrics.json")) as f:
        history = json.load(f)["history"]
    assert [h["epoch"] for h in history] == [1, 2]
    assert history[1]["test_accuracy"] > 0.5


def test_resume_rejects_wrong_family_and_corrupted_checkpoint(tmp_path, capsys):
    from fastdl.models import cnn
    from fastdl.models._run import Run
    out = str(tmp_path / "run")
    path = Run("cnn", cnn.DEFAULTS, out_dir=out).checkpoint({"model": cnn.DigitsCNN(4).state_dict(), "epoch": 1})
    assert main(["train", "transfer", "--resume", out, "--quiet"]) == 2
    assert "holds a 'cnn' checkpoint, not 'transfer'" in capsys.readouterr().err
    with open(path, "rb") as f:
        blob = f.read()
    with open(path, "wb") as f:
        f.write(blob[:len(blob) // 2])  # a checkpoint cut short, as by a full disk
    with pytest.raises(ValueError, match="load: .*checkpoint.safetensors"):
        Run("cnn", cnn.DEFAULTS).resume(out)


def _mnist1d():
    pytest.importorskip("mnist1d", reason="the mnist1d package generates MNIST-1D")


def _subset(data, n_train, n_test):
    xtr, ytr, xte, yte = data
    return xtr[:n_train], ytr[:n_train], xte[:n_test], yte[:n_test]


def test_cnn1d_learns_mnist1d():
    _mnist1d()
    from fastdl.models import cnn1d
    fastdl.manual_seed(0)
    model = cnn1d.CNN1d(8)
    acc = cnn1d.fit(model, _subset(cnn1d.load_mnist1d_signals(), 1000, 500), epochs=3, lr=1e-2)
    assert acc > 0.3  # chance is 0.1


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_rnn_learns_mnist1d(cell):
    _mnist1d()
    from fastdl.models import _run, rnn
    fastdl.manual_seed(0)
    run = _run.Run(cell, {}, quiet=True)
    model = rnn.SequenceClassifier(cell, hidden_size=32)
    acc = rnn.fit(model, _subset(rnn.load_mnist1d_sequences(), 1000, 500), epochs=4, lr=1e-2, batch_size=25, run=run)
    losses = [h["loss"] for h in run.history]
    assert losses[-1] < 0.9 * losses[0] and acc > 0.15  # chance is 0.1


def test_sequence_classifier_rejects_unknown_cell():
    from fastdl.models import rnn
    with pytest.raises(ValueError, match="cell must be one of lstm, gru"):
        rnn.SequenceClassifier("rnn")


def test_transfer_few_shot_tests_on_every_unlabelled_image():
    _digits()
    from fastdl.models import cnn, transfer
    data = cnn.load_digits_tensors(classes=range(5, 10))
    x, y, x_test, y_test = transfer.few_shot(data, 10, seed=3)
    assert sorted(y.tolist()) == [c for c in range(5) for _ in range(10)]
    rows = lambda *ts: sorted(row.tobytes() for t in ts for row in t.numpy().reshape(len(t), -1))
    # labelled + test images are exactly the whole 5-9 pool, each once
    assert rows(x, x_test) == rows(data[0], data[2])
    assert sorted(y.tolist() + y_test.tolist()) == sorted(data[1].tolist() + data[3].tolist())


def test_adapt_batchnorm_uses_the_new_images_statistics():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    model = cnn.DigitsCNN(4, num_classes=5)
    block = transfer.first_blocks(model, 1)
    x = fastdl.rand(20, 1, 8, 8)
    transfer.adapt_batchnorm(block, x)
    conv_out = block[0](x).detach().numpy().astype(np.float64)
    bn = block[1]
    np.testing.assert_allclose(bn.running_mean.numpy(), conv_out.mean(axis=(0, 2, 3)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), conv_out.var(axis=(0, 2, 3), ddof=1), rtol=1e-4)
    assert bn.momentum == 0.1 and not block.training


def test_warp_rotates_zooms_and_shifts_like_numpy():
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    x = fastdl.rand(3, 2, 8, 8)
    a = x.numpy().astype(np.float64)
    none, ones = np.zeros(3), np.ones(3)
    np.testing.assert_allclose(transfer.warp(x, none, ones, np.zeros((3, 2))).numpy(), a, atol=1e-6)
    quarter = transfer.warp(x, np.full(3, np.pi / 2), ones, np.zeros((3, 2))).numpy()
    np.testing.assert_allclose(quarter, np.rot90(a, 1, axes=(2, 3)), atol=1e-5)  # counter-clockwise
    moved = transfer.warp(x, none, ones, np.array([[1.0, -2.0]] * 3)).numpy()  # 1 row down, 2 columns left
    np.testing.assert_allclose(moved[:, :, 1:, :-2], a[:, :, :-1, 2:], atol=1e-6)
    assert (moved[:, :, 0] == 0).all() and (moved[:, :, :, -2:] == 0).all()  # zero fill
    half = transfer.warp(x, none, ones, np.array([[0.0, 0.5]] * 3)).numpy()  # bilinear between columns
    np.testing.assert_allclose(half[..., 1:], (a[..., 1:] + a[..., :-1]) / 2, atol=1e-6)
    # zoom 2 about the centre (3.5, 3.5): output pixel (1, 1) reads the source at (2.25, 2.25)
    zoomed = transfer.warp(x, none, np.full(3, 2.0), np.zeros((3, 2))).numpy()
    expect = (9 * a[..., 2, 2] + 3 * a[..., 2, 3] + 3 * a[..., 3, 2] + a[..., 3, 3]) / 16
    np.testing.assert_allclose(zoomed[..., 1, 1], expect, atol=1e-6)
    fastdl.manual_seed(1)
    y = transfer.random_affine(x, degrees=0, scale=0, shift=0).numpy()
    np.testing.assert_allclose(y, a, atol=1e-6)


def test_elastic_bends_each_image_by_a_bounded_smooth_field():
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    x = fastdl.rand(6, 1, 8, 8)
    np.testing.assert_allclose(transfer.elastic(x, alpha=0.0).numpy(), x.numpy(), atol=1e-6)  # no displacement
    # a linear ramp along the columns: bilinear sampling returns the source column, so the
    # change is each pixel's column displacement, at most alpha and not 0 everywhere
    ramp = fastdl.tensor(np.tile(np.arange(8.0, dtype=np.float32), (6, 1, 8, 1)))
    fastdl.manual_seed(1)
    moved = transfer.elastic(ramp, alpha=0.75, sigma=1.0).numpy()
    inner = (moved - ramp.numpy())[..., 1:-1, 1:-1]  # away from the zero fill at the borders
    assert np.abs(inner).max() <= 0.75 + 1e-5 and np.abs(inner).max() > 0.1
    fastdl.manual_seed(1)
    assert (transfer.elastic(ramp, alpha=0.75, sigma=1.0).numpy() == moved).all()  # seeded


def test_cosine_linear_matches_numpy_and_gradcheck():
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    head = transfer.CosineLinear(4, 3, scale=7.0)
    x = fastdl.randn(5, 4)
    a, w = x.numpy().astype(np.float64), head.weight.detach().numpy().astype(np.float64)
    expect = 7.0 * (a / np.linalg.norm(a, axis=1, keepdims=True)) @ (w / np.linalg.norm(w, axis=1, keepdims=True)).T
    np.testing.assert_allclose(head(x).detach().numpy(), expect, rtol=1e-5, atol=1e-6)
    x64 = fastdl.tensor(a, requires_grad=True)
    w64 = fastdl.tensor(w, requires_grad=True)
    s64 = fastdl.tensor(np.array([7.0]), requires_grad=True)
    cosine = lambda x, w, s: transfer.unit_rows(x).matmul(transfer.unit_rows(w).t()) * s
    assert gradcheck(cosine, (x64, w64, s64))
    assert [p.shape for p in head.parameters()] == [(3, 4), (1,)]  # the scale is learned


def test_imprint_sets_each_class_weight_to_its_normalised_mean_feature():
    from fastdl import nn
    from fastdl.models import transfer
    features = fastdl.tensor(np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 2.0], [0.0, 5.0]], dtype=np.float32))
    labels = fastdl.tensor(np.array([0, 0, 1, 1]))
    head = transfer.CosineLinear(2, 2)
    transfer.imprint(head, features, labels)
    mean0 = np.array([0.6 + 1.0, 0.8 + 0.0]) / 2  # of the unit feature rows
    np.testing.assert_allclose(head.weight.detach().numpy(), [mean0 / np.linalg.norm(mean0), [0.0, 1.0]], atol=1e-6)
    logits = head(features).detach().numpy()
    assert (logits.argmax(axis=1) == [0, 0, 1, 1]).all()  # a nearest-centroid classifier on the sphere
    with pytest.raises(TypeError, match="imprint: the head must be a CosineLinear, got Linear"):
        transfer.imprint(nn.Linear(2, 2), features, labels)
    with pytest.raises(ValueError, match=r"imprint: labels must cover classes 0..2, got \[0, 1\]"):
        transfer.imprint(transfer.CosineLinear(2, 3), features, labels)
    with pytest.raises(ValueError, match="transfer: a head must be 'linear' or 'cosine', got 'arc'"):
        transfer.new_head("arc", 2, 2, 10.0)


def test_pretraining_criterion_adds_the_decoders_squared_error_to_cross_entropy():
    from fastdl import nn
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    model = cnn.DigitsCNN(4, num_classes=3)
    model.decoder = nn.Linear(model.head.in_features, 64)
    model.eval()  # BatchNorm on running statistics, so the two forward passes agree
    x, y = fastdl.rand(5, 1, 8, 8), fastdl.tensor(np.array([0, 2, 1, 1, 0]))
    features = model.features(x).detach().numpy().astype(np.float64)
    logits = model.head(model.features(x)).detach().numpy().astype(np.float64)
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    rebuilt = features @ model.decoder.weight.detach().numpy().T + model.decoder.bias.detach().numpy()
    expect = -log_p[np.arange(5), y.numpy()].mean() + 0.5 * ((rebuilt - x.numpy().reshape(5, -1)) ** 2).mean()
    np.testing.assert_allclose(transfer.pretraining_criterion(0.5, 0.0)(model, x, y).item(), expect, rtol=1e-5)


def test_prototypical_loss_scores_each_image_against_the_other_images_centroids():
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    f = fastdl.randn(7, 3, dtype=fastdl.float64)
    y = fastdl.tensor(np.array([3, 3, 5, 5, 5, 7, 3]))
    a, labels = f.numpy(), y.numpy()
    losses = []
    for i in range(7):
        if (labels == labels[i]).sum() < 2:
            continue  # image 5 is alone in class 7: it is not scored, and class 7 has no centroid for others
        classes = [k for k in (3, 5, 7) if ((labels == k) & (np.arange(7) != i)).any()]
        centroids = [a[(labels == k) & (np.arange(7) != i)].mean(axis=0) for k in classes]
        logits = -np.array([((a[i] - c) ** 2).sum() for c in centroids])
        losses.append(np.log(np.exp(logits).sum()) - logits[classes.index(labels[i])])
    np.testing.assert_allclose(transfer.prototypical_loss(f, y).item(), np.mean(losses), rtol=1e-7)
    f.requires_grad_(True)
    assert gradcheck(lambda f: transfer.prototypical_loss(f, y), (f,))


def test_with_pose_classes_labels_each_rotation_and_mirror_as_its_own_class():
    from fastdl.models import transfer
    x = fastdl.rand(4, 1, 8, 8)
    y = fastdl.tensor(np.array([0, 1, 2, 1]))
    xs, ys, xt, yt = transfer.with_pose_classes((x, y, x[:2], y[:2]), 8, 3)
    assert xs.shape == (32, 1, 8, 8) and xt.shape == (16, 1, 8, 8)
    a = x.numpy()
    assert (xs.numpy()[4:8] == np.rot90(a, 1, axes=(2, 3))).all() and (ys.numpy()[4:8] == [3, 4, 5, 4]).all()
    assert (xs.numpy()[28:] == np.rot90(a[..., ::-1], 3, axes=(2, 3))).all() and (ys.numpy()[28:] == [21, 22, 23, 22]).all()
    assert sorted(set(yt.tolist())) == [0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 16, 18, 19, 21, 22]
    same = transfer.with_pose_classes((x, y, x, y), 1, 3)
    assert (same[0].numpy() == a).all() and (same[1].numpy() == y.numpy()).all()
    with pytest.raises(ValueError, match="with_pose_classes: poses must be 1, 4 or 8, got 2"):
        transfer.with_pose_classes((x, y, x, y), 2, 3)


def test_l2_sp_pulls_the_gradient_towards_the_starting_weights():
    from fastdl import nn
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    layer = nn.Linear(3, 2)
    start = layer.weight.detach().numpy().copy()
    transfer.l2_sp(layer, 0.5)
    with fastdl.no_grad():
        layer.weight += 1.0  # as if earlier steps had moved it
    x = fastdl.rand(4, 3)
    layer(x).sum().backward()
    plain = np.tile(x.numpy().sum(axis=0), (2, 1))  # d(sum(x W^T))/dW
    np.testing.assert_allclose(layer.weight.grad.numpy(), plain + 0.5 * (start + 1.0 - start), rtol=1e-5)
    np.testing.assert_allclose(layer.bias.grad.numpy(), [4.0, 4.0], rtol=1e-6)  # the bias has not moved


def test_transfer_probe_then_fine_tune_keeps_frozen_block_and_both_few_shot_models_learn():
    _digits()
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    config = dict(transfer.DEFAULTS, width=8, epochs=3, probe_epochs=5, finetune_epochs=10, finetune_lr=1e-2)
    pre, _ = transfer.pretrain(config, seed=0)
    assert pre.head.out_features == 5 * config["pretrain_poses"]  # each digit in each pose
    fastdl.manual_seed(0)
    rebuilt, _ = transfer.pretrain(dict(config, epochs=1, pretrain_reconstruction=10.0, pretrain_head="cosine"), seed=0)
    assert isinstance(rebuilt.head, transfer.CosineLinear) and rebuilt.head.scale.item() != 10.0  # learned
    x04 = cnn.load_digits_tensors(classes=range(5))[0][:200]
    rebuilt.eval()
    error = ((rebuilt.decoder(rebuilt.features(x04)) - x04.reshape(200, -1)) ** 2).mean().item()
    pixels = x04.numpy().reshape(200, -1)
    assert error < ((pixels - pixels.mean(axis=0)) ** 2).mean()  # the decoder learned: it beats the mean image
    exemplars, _ = transfer.pretrain(dict(config, epochs=1, pretrain_exemplars=True, pretrain_poses=1), seed=0)
    assert exemplars.head.out_features == len(cnn.load_digits_tensors(classes=range(5))[0])  # one class per image
    target = transfer.few_shot(cnn.load_digits_tensors(classes=range(5, 10)), 10)
    before = {k: v.numpy().copy() for k, v in pre.features.state_dict().items()}
    trained = []

    def phase(model, name, epochs, lr):
        if name == "probe":
            assert [p.requires_grad for p in model.parameters()] == [False] * 12 + [True, True]  # the head only
            # DEFAULTS imprint a cosine head: each class's weight is its normalised mean feature
            features = model.tuned(model.frozen(target[0])).detach().numpy()
            unit = features / np.linalg.norm(features, axis=1, keepdims=True)
            means = np.stack([unit[target[1].numpy() == k].mean(axis=0) for k in range(5)])
            np.testing.assert_allclose(model.head.weight.detach().numpy(),
                                       means / np.linalg.norm(means, axis=1, keepdims=True), atol=1e-5)
        acc = cnn.fit(model, target, epochs, lr, batch_size=10, shift=0)
        trained.append((name, model))
        return acc

    ft, ft_acc = transfer.fine_tune(pre, target, config, phase)
    (_, probe), (_, tuned) = trained
    assert [name for name, _ in trained] == ["probe", "finetune"] and tuned is ft and ft.head is probe.head
    assert all(not p.requires_grad for p in ft.frozen.parameters())
    assert all(p.requires_grad for p in ft.tuned.parameters()) and len(ft.tuned) == 9
    bn = ft.frozen[1]  # AdaBN ("all") replaced the 0-4 statistics once, then the block stayed frozen
    conv_out = ft.frozen[0](target[0]).detach().numpy()
    np.testing.assert_allclose(bn.running_mean.numpy(), conv_out.mean(axis=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert (ft.frozen[0].weight.detach().numpy() == before["0.weight"]).all()
    assert (ft.tuned[0].weight.detach().numpy() != before["3.weight"]).any()  # the later blocks were fine-tuned
    with pytest.raises(ValueError, match="FineTuned: frozen_blocks must be in 0..3"):
        transfer.FineTuned(cnn.DigitsCNN(8), 5, frozen_blocks=4)
    with pytest.raises(ValueError, match="transfer: adapt_bn must be 'all', 'frozen' or 'none', got True"):
        transfer.fine_tune(pre, target, dict(config, adapt_bn=True), phase)
    scratch = cnn.DigitsCNN(8, num_classes=5)
    scratch_acc = cnn.fit(scratch, target, epochs=10, lr=1e-2, batch_size=10, shift=0)
    # fine-tuned vs scratch is compared at full budget over seeds (docs/results_supervised.md), not here
    assert ft_acc > 0.5 and scratch_acc > 0.5  # chance is 0.2
    # side-tuning with centroid logits: a trained side trunk, a frozen copy of the adapted extractor
    fastdl.manual_seed(0)
    pre, _ = transfer.pretrain(dict(config, epochs=1), seed=0)
    both = dict(config, side_width=4, centroid_logits=3.0, probe_epochs=0, finetune_epochs=3)
    start = {}

    def fit(model, name, epochs, lr):
        start[name] = [p.detach().numpy().copy() for p in (model.side[0].weight, model.extra.extractor[3].weight)]
        return cnn.fit(model, target, epochs, lr, batch_size=10, shift=0)

    ft, ft_acc = transfer.fine_tune(pre, target, both, fit)
    assert ft.head.in_features == 8 * 8 + 8 * 4 and ft_acc > 0.5
    assert all(p.requires_grad for p in ft.side.parameters()) and not any(p.requires_grad for p in ft.extra.parameters())
    side, copy = start["finetune"]
    assert (ft.side[0].weight.detach().numpy() != side).any()  # the side trunk was trained
    assert (ft.extra.extractor[3].weight.detach().numpy() == copy).all()  # the centroids' extractor was not
    assert (ft.tuned[0].weight.detach().numpy() != copy).any()  # while the pretrained trunk it copies was
    # a pretrained side trunk: the second pretraining's own features, BatchNorm-adapted, then tuned
    with pytest.raises(ValueError, match="transfer: side_pretrained needs side_width > 0"):
        transfer.side_pretraining(config)
    fastdl.manual_seed(0)
    pre, _ = transfer.pretrain(dict(config, epochs=1), seed=0)
    paired = dict(config, side_width=4, side_pretrained=True, probe_epochs=0, finetune_epochs=2)
    side_pre, _ = transfer.pretrain(dict(transfer.side_pretraining(paired), epochs=1), seed=0)
    assert side_pre.features[0].out_channels == 4
    adapted = {}

    def fit_side(model, name, epochs, lr):
        if name == "probe":  # before any training: the side trunk's BatchNorm holds the labelled images' statistics
            with fastdl.no_grad():
                adapted["conv"] = model.side[0](target[0]).numpy().mean(axis=(0, 2, 3))
            adapted["bn"] = model.side[1].running_mean.numpy().copy()
        return cnn.fit(model, target, epochs, lr, batch_size=10, shift=0)

    ft, ft_acc = transfer.fine_tune(pre, target, paired, fit_side, side_pre)
    assert ft.side is side_pre.features and all(p.requires_grad for p in ft.side.parameters()) and ft_acc > 0.5
    np.testing.assert_allclose(adapted["bn"], adapted["conv"], rtol=1e-4, atol=1e-5)


def test_with_composite_classes_joins_one_images_top_half_to_anothers_bottom_half():
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    x = fastdl.rand(6, 1, 8, 8)
    y = fastdl.tensor(np.array([0, 1, 2, 0, 1, 2]))
    xs, ys, xt, yt = transfer.with_composite_classes((x, y, x[:4], y[:4]), 3, seed=1)
    assert xs.shape == (6, 1, 8, 8) and xt.shape == (4, 1, 8, 8)
    a, b, labels = x.numpy(), xs.numpy(), ys.numpy()
    assert (b[:, :, :4] == a[:, :, :4]).all()  # each image keeps its own top half
    for i in range(6):
        # its bottom half is some image j's, and the class says which classes both halves came from
        j = [k for k in range(6) if (a[k, :, 4:] == b[i, :, 4:]).all()]
        assert len(j) == 1 and labels[i] == 3 * y.numpy()[i] + y.numpy()[j[0]]
    bottoms = {b[i, :, 4:].tobytes() for i in range(6)}
    assert len(bottoms) == 6  # a permutation: every image's bottom half is used once
    again = transfer.with_composite_classes((x, y, x[:4], y[:4]), 3, seed=1)
    assert (again[0].numpy() == b).all()  # seeded


def test_manifold_mixup_loss_is_cross_entropy_when_nothing_differs_and_reaches_every_layer():
    from fastdl import nn
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    model = cnn.DigitsCNN(4, num_classes=3)
    model.eval()  # BatchNorm on running statistics: mixing identical images changes nothing
    x, y = fastdl.rand(1, 1, 8, 8).expand(6, 1, 8, 8).contiguous(), fastdl.tensor(np.full(6, 2))
    plain = nn.functional.cross_entropy(model(x), y).item()
    for seed in range(4):  # different cut points and mixing weights
        fastdl.manual_seed(seed)
        np.testing.assert_allclose(transfer.manifold_mixup_loss(model, x, y, 2.0).item(), plain, rtol=1e-5)
    model.train()
    x, y = fastdl.rand(8, 1, 8, 8), fastdl.tensor(np.array([0, 1, 2, 0, 1, 2, 0, 1]))
    fastdl.manual_seed(5)
    loss = transfer.manifold_mixup_loss(model, x, y, 2.0)
    loss.backward()
    assert np.isfinite(loss.item()) and all(p.grad is not None for p in model.parameters())
    fastdl.manual_seed(5)
    assert transfer.manifold_mixup_loss(model, x, y, 2.0).item() == loss.item()  # seeded


def test_centroid_logits_are_a_frozen_copys_nearest_centroid_cosines():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    pre = cnn.DigitsCNN(4)
    pre.eval()
    x, y = fastdl.rand(12, 1, 8, 8), fastdl.tensor(np.arange(12) % 3)
    for center in (False, True):
        extra = transfer.CentroidLogits(transfer.frozen_copy(pre.features, 4), x, y, 3, 5.0, center)
        f = pre.features(x).detach().numpy().astype(np.float64)
        c = f.mean(axis=0) if center else 0.0
        unit = lambda a: a / np.linalg.norm(a, axis=-1, keepdims=True)
        means = unit(np.stack([unit(f - c)[y.numpy() == k].mean(axis=0) for k in range(3)]))
        np.testing.assert_allclose(extra(x).detach().numpy(), 5.0 * unit(f - c) @ means.T, rtol=1e-4, atol=1e-5)
        assert not any(p.requires_grad for p in extra.parameters())
    with fastdl.no_grad():
        pre.features[0].weight += 1.0  # fine-tuning the original leaves the copy alone
    assert (extra.extractor[0].weight.detach().numpy() != pre.features[0].weight.detach().numpy()).all()


def test_side_tuned_and_scratch_two_trunk_models_have_one_architecture():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    config = dict(transfer.DEFAULTS, width=4, side_width=2, scratch_head="linear")
    pre = cnn.DigitsCNN(4, num_classes=20)
    side = cnn.DigitsCNN(2).features
    ft = transfer.SideTuned(pre, 5, 3, transfer.new_head("linear", 32 + 16, 5, 5.0), side=side)
    scratch = transfer.scratch_model(config)
    shapes = lambda m: sorted(tuple(p.shape) for p in m.parameters())
    assert shapes(ft) == shapes(scratch)
    assert all(p.requires_grad for p in scratch.parameters())  # scratch trains both trunks
    x = fastdl.rand(3, 1, 8, 8)
    ft.eval()
    with fastdl.no_grad():
        f, parts = ft.features(x).numpy(), [pre.features(x).numpy(), side(x).numpy()]
    np.testing.assert_allclose(f, np.concatenate(parts, axis=1), rtol=1e-6)
    ft.train()
    assert not ft.frozen.training and side.training
    assert isinstance(transfer.scratch_model(dict(config, side_width=0)), cnn.DigitsCNN)  # the plain arm


def test_reinit_last_blocks_restarts_only_the_last_blocks():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    model = cnn.DigitsCNN(4)
    with fastdl.no_grad():
        for p in model.features.parameters():
            p += 1.0  # as if pretrained
    before = [p.detach().numpy().copy() for p in model.features.parameters()]
    fastdl.manual_seed(7)
    transfer.reinit_last_blocks(model, 1, 4)
    fastdl.manual_seed(7)
    fresh = [p.detach().numpy() for p in cnn.DigitsCNN(4).features.parameters()]
    after = [p.detach().numpy() for p in model.features.parameters()]
    # blocks 1 and 2 keep their weights; block 3 (conv, BatchNorm: 4 tensors) is a fresh init
    assert all((a == b).all() for a, b in zip(after[:8], before[:8]))
    assert all((a == f).all() for a, f in zip(after[8:], fresh[8:]))
    with pytest.raises(ValueError, match="transfer: reinit_blocks must be in 0..3, got 4"):
        transfer.reinit_last_blocks(model, 4, 4)


def test_few_shot_poses_train_on_pose_classes_and_score_the_upright_ones():
    _digits()
    from fastdl.models import transfer
    config = dict(transfer.DEFAULTS, width=4, few_shot_poses=4)
    plain = transfer.few_shot_target(dict(config, few_shot_poses=1), seed=3)
    x, y, x_test, y_test = transfer.few_shot_target(config, seed=3)
    assert x.shape == (200, 1, 8, 8) and sorted(set(y.tolist())) == list(range(20))
    assert (x.numpy()[50:100] == np.rot90(plain[0].numpy(), 1, axes=(2, 3))).all()  # pose 1, classes 5-9
    assert (x_test.numpy() == plain[2].numpy()).all() and (y_test.numpy() == plain[3].numpy()).all()  # upright
    fastdl.manual_seed(0)
    scratch = transfer.scratch_model(config)
    assert scratch(x[:3]).shape == (3, 20)  # training: every pose class
    scratch.eval()
    with fastdl.no_grad():
        assert (scratch(x[:3]).numpy() == scratch.head(scratch.features(x[:3])).numpy()[:, :5]).all()


def _contrastive_numpy(z1, z2, temperature, labels=None):
    z = np.concatenate([z1, z2]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n2 = len(z)
    y = np.tile(np.arange(len(z1)) if labels is None else labels, 2)
    total = 0.0
    for i in range(n2):
        others = [j for j in range(n2) if j != i]
        s = np.array([z[i] @ z[j] / temperature for j in others])
        log_p = s - np.log(np.exp(s).sum())
        pos = [k for k, j in enumerate(others) if y[j] == y[i]]
        total += -log_p[pos].mean()
    return total / n2


def test_contrastive_loss_is_nt_xent_and_with_labels_supcon():
    from fastdl.models import transfer
    fastdl.manual_seed(0)
    z1, z2 = fastdl.randn(5, 3, dtype=fastdl.float64), fastdl.randn(5, 3, dtype=fastdl.float64)
    labels = fastdl.tensor(np.array([0, 1, 0, 2, 1]))
    np.testing.assert_allclose(transfer.contrastive_loss(z1, z2, 0.5).item(),
                               _contrastive_numpy(z1.numpy(), z2.numpy(), 0.5), rtol=1e-6)
    np.testing.assert_allclose(transfer.contrastive_loss(z1, z2, 0.2, labels).item(),
                               _contrastive_numpy(z1.numpy(), z2.numpy(), 0.2, labels.numpy()), rtol=1e-6)
    # identical, well-separated views of distinct images: the positive dominates, the loss is near 0
    eye = fastdl.eye(4, dtype=fastdl.float64)
    assert transfer.contrastive_loss(eye, eye, 0.05).item() < 1e-6
    z1.requires_grad_(True)
    z2.requires_grad_(True)
    assert gradcheck(lambda a, b: transfer.contrastive_loss(a, b, 0.5, labels), (z1, z2))


def test_pretraining_criterion_adds_the_contrastive_term_of_two_fresh_views():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    config = dict(transfer.DEFAULTS, width=4, pretrain_reconstruction=0.0, pretrain_contrastive=2.0,
                  contrastive_supervised=True)
    model = transfer.pretraining_model(config, 3)
    assert model.projector[0].in_features == 32 and not hasattr(model, "decoder")
    model.eval()  # BatchNorm on running statistics: the same image gives the same features in every pass
    x, y = fastdl.rand(6, 1, 8, 8), fastdl.tensor(np.array([0, 1, 2, 0, 1, 2]))
    for ce_weight in (1.0, 0.0):
        fastdl.manual_seed(7)
        got = transfer.pretraining_criterion(0.0, 0.0, cross_entropy_weight=ce_weight, contrastive=2.0,
                                             supervised=True, temperature=0.3)(model, x, y).item()
        fastdl.manual_seed(7)
        z1, z2 = (model.projector(model.features(transfer.random_affine(x))) for _ in range(2))
        expect = 2.0 * transfer.contrastive_loss(z1, z2, 0.3, y).item()
        expect += ce_weight * fastdl.nn.functional.cross_entropy(model(x), y).item()
        np.testing.assert_allclose(got, expect, rtol=1e-5)
    with pytest.raises(ValueError, match="transfer: contrastive_views must be 'affine' or 'elastic', got 'crop'"):
        transfer.pretraining_criterion(0.0, 0.0, contrastive=1.0, views="crop")


def test_delta_criterion_is_cross_entropy_plus_the_tuned_blocks_feature_drift():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    pre = cnn.DigitsCNN(4, num_classes=3)
    ft = transfer.FineTuned(pre, 3, frozen_blocks=1)
    reference = transfer.frozen_copy(pre.features, 4)[3:]
    criterion = transfer.delta_criterion(reference, 0.5, 3)
    x, y = fastdl.rand(6, 1, 8, 8), fastdl.tensor(np.array([0, 1, 2, 0, 1, 2]))
    plain = fastdl.nn.functional.cross_entropy(ft(x), y).item()
    np.testing.assert_allclose(criterion(ft, x, y).item(), plain, rtol=1e-6)  # nothing has moved yet
    with fastdl.no_grad():
        ft.tuned[0].weight += 0.1  # the second block's conv, as if fine-tuning had moved it
    with fastdl.no_grad():
        h = ft.frozen(x)
        a2, r2 = ft.tuned[:4](h), reference[:4](h)  # block 2 ends at features[7]
        a3, r3 = ft.tuned[4:8](a2), reference[4:8](r2)  # block 3 at features[11]
        ce = fastdl.nn.functional.cross_entropy(ft.head(ft.tuned(h)), y).item()
    drift = [((a - r) ** 2).mean() for a, r in ((a2.numpy(), r2.numpy()), (a3.numpy(), r3.numpy()))]
    assert drift[0] > 0 and drift[1] > 0
    loss = criterion(ft, x, y)
    np.testing.assert_allclose(loss.item(), ce + 0.5 * np.mean(drift), rtol=1e-5)
    loss.backward()
    assert ft.tuned[0].weight.grad is not None and not any(p.grad is not None for p in reference.parameters())


def test_wise_interpolates_the_weights_and_re_estimates_batchnorm():
    from fastdl.models import cnn, transfer
    fastdl.manual_seed(0)
    ft = transfer.FineTuned(cnn.DigitsCNN(4, num_classes=3), 3, frozen_blocks=1)
    start = {k: v.clone() for k, v in ft.state_dict().items()}
    with fastdl.no_grad():
        for p in ft.tuned.parameters():
            p += 1.0
        ft.head.weight -= 2.0
    x = fastdl.rand(10, 1, 8, 8)
    tuned = ft.tuned[0].weight.detach().numpy().copy()
    transfer.wise(ft, start, 0.25, x)
    np.testing.assert_allclose(ft.tuned[0].weight.detach().numpy(), tuned - 0.75, rtol=1e-6)
    np.testing.assert_allclose(ft.head.weight.detach().numpy(), start["head.weight"].numpy() - 0.5, rtol=1e-6)
    with fastdl.no_grad():
        conv = ft.tuned[0](ft.frozen(x)).numpy()
    np.testing.assert_allclose(ft.tuned[1].running_mean.numpy(), conv.mean(axis=(0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert not ft.training
    with pytest.raises(ValueError, match=r"transfer: wise must be in \[0, 1\], got 1.5"):
        transfer.wise(ft, start, 1.5, x)


def test_ensemble_accuracy_averages_the_members_softmax():
    from fastdl import nn
    from fastdl.models import transfer
    a, b = nn.Linear(2, 2), nn.Linear(2, 2)
    with fastdl.no_grad():
        a.weight.copy_(fastdl.tensor([[4.0, 0.0], [0.0, 0.0]]))   # sure of class 0 when x0 is large
        b.weight.copy_(fastdl.tensor([[0.0, 0.0], [0.0, 1.0]]))   # mildly for class 1 when x1 is large
        a.bias.zero_()
        b.bias.zero_()
    x = fastdl.tensor([[1.0, 1.0], [0.0, 3.0], [1.0, 0.0]])
    y = fastdl.tensor(np.array([1, 1, 0]))
    soft = lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    p = soft(x.numpy() @ a.weight.detach().numpy().T) + soft(x.numpy() @ b.weight.detach().numpy().T)
    expect = (p.argmax(axis=1) == y.numpy()).mean()
    assert transfer.ensemble_accuracy([a, b], x, y) == expect == 2 / 3
    assert transfer.ensemble_accuracy([a], x, y) == 1 / 3 and transfer.ensemble_accuracy([b], x, y) == 1.0


def test_ensembles_of_fine_tuned_and_scratch_members_with_delta_and_wise():
    _digits()
    from fastdl.models import cnn, transfer
    config = dict(transfer.DEFAULTS, width=4, epochs=1, finetune_epochs=2, ensemble=2, delta=1.0, wise=0.5,
                  pretrain_contrastive=1.0)
    fastdl.manual_seed(0)
    pre, _ = transfer.pretrain(config, seed=0)
    assert hasattr(pre, "projector")
    target = transfer.few_shot(cnn.load_digits_tensors(classes=range(5, 10)), 10)
    names = []

    def phase(model, name, epochs, lr, weight_decay=config["finetune_weight_decay"], criterion=None):
        names.append((name, criterion is not None))
        return cnn.fit(model, target, epochs, lr, batch_size=10, weight_decay=weight_decay, shift=0) if epochs else 0

    members, acc = transfer.fine_tune_ensemble(pre, target, config, phase)
    assert [n for n in names] == [("probe", False), ("finetune", True), ("probe2", False), ("finetune2", True)]
    assert len(members) == 2 and members[0].frozen is not members[1].frozen
    assert (members[0].tuned[0].weight.detach().numpy() != members[1].tuned[0].weight.detach().numpy()).any()
    frozen = [m.frozen[0].weight.detach().numpy() for m in members]
    assert (frozen[0] == frozen[1]).all()  # one pretraining: the frozen block is the same in both members
    assert acc == transfer.ensemble_accuracy(members, target[2], target[3]) and acc > 0.5
    names.clear()
    scratch, scratch_acc = transfer.scratch_ensemble(config, target, phase)
    assert names == [("scratch", False), ("scratch2", False)] and len(scratch) == 2
    assert scratch_acc == transfer.ensemble_accuracy(scratch, target[2], target[3])
    # ensemble_pretrain: member 2 starts from its own pretraining (its frozen block differs)
    own = dict(config, ensemble_pretrain=True, delta=0.0, wise=1.0, finetune_epochs=1)
    with pytest.raises(ValueError, match="transfer: ensemble_pretrain needs the run's seed"):
        transfer.fine_tune_ensemble(pre, target, own, phase)
    fastdl.manual_seed(0)
    pre, _ = transfer.pretrain(own, seed=0)
    members, acc = transfer.fine_tune_ensemble(pre, target, own, phase, seed=0)
    assert (members[0].frozen[0].weight.detach().numpy() != members[1].frozen[0].weight.detach().numpy()).any()
    assert acc == transfer.ensemble_accuracy(members, target[2], target[3])
    with pytest.raises(ValueError, match="transfer: ensemble must be >= 1, got 0"):
        transfer.fine_tune_ensemble(pre, target, dict(config, ensemble=0), phase)
    with pytest.raises(ValueError, match="transfer: delta needs a plain FineTuned"):
        transfer.fine_tune(pre, target, dict(config, centroid_logits=3.0), phase)
