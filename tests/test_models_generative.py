"""The generative families (autoencoder, vae, gan, dcgan) train on small budgets with a
fixed seed and show that learning happened; resume and checkpoint errors via the CLI."""
import json
import os

import numpy as np
import pytest

import fastdl

sklearn = pytest.importorskip("sklearn", reason="scikit-learn (the test extra) provides the digits data")


def test_autoencoder_beats_mean_image_at_small_budget():
    from fastdl.models import autoencoder
    model, s = autoencoder.fit(seed=0, epochs=6, lr=3e-3)
    assert s["test_mse"] < 0.7 * s["mean_image_mse"]
    x = fastdl.rand(3, 64)
    assert model(x).shape == (3, 64) and model.encoder(x).shape == (3, 8)


def test_pca_mse_matches_rank_k_truncation():
    from fastdl.models.autoencoder import pca_mse
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 6)) @ np.diag([5, 4, 3, 0, 0, 0])  # rank 3 data
    assert pca_mse(x, x, 3) < 1e-20
    assert pca_mse(x, x, 2) == pytest.approx(np.var(x[:, 2]) * 50 / 50 / 6, rel=0.3)


def test_autoencoder_resume_continues_history(tmp_path, capsys):
    from fastdl.cli import main
    out = str(tmp_path / "ae")
    assert main(["train", "autoencoder", "--epochs", "1", "--out", out, "--quiet"]) == 0
    assert main(["train", "autoencoder", "--epochs", "2", "--out", out, "--resume", out, "--quiet"]) == 0
    with open(os.path.join(out, "metrics.json")) as f:
        record = json.load(f)
    assert [h["epoch"] for h in record["history"]] == [1, 2]
    assert record["summary"]["test_mse"] == record["history"][-1]["test_mse"]
    pytest.importorskip("matplotlib")
    assert os.path.exists(os.path.join(out, "reconstructions.png"))


def test_resume_rejects_other_family_and_corrupt_checkpoint(tmp_path, capsys):
    from fastdl.cli import main
    out = str(tmp_path / "ae")
    assert main(["train", "autoencoder", "--epochs", "1", "--out", out, "--quiet"]) == 0
    assert main(["train", "mlp", "--epochs", "1", "--resume", out, "--quiet"]) == 2
    assert "holds a 'autoencoder' checkpoint, not 'mlp'" in capsys.readouterr().err
    bad = tmp_path / "bad.safetensors"
    fastdl.save({"weights": fastdl.zeros(2)}, str(bad))
    assert main(["train", "autoencoder", "--epochs", "1", "--resume", str(bad), "--quiet"]) == 2
    assert "is not a fastdl training checkpoint" in capsys.readouterr().err


def test_vae_elbo_improves_and_samples():
    from fastdl.models import vae
    _, untrained = vae.fit(seed=0, epochs=0, hidden=128, elbo_samples=1)
    model, s = vae.fit(seed=0, epochs=2, hidden=128, elbo_samples=1)
    assert s["test_elbo"] > untrained["test_elbo"] + 10  # nats per example
    samples = model.sample(5)
    assert samples.shape == (5, 64) and 0 <= float(samples.min()) and float(samples.max()) <= 1


def test_vae_elbo_terms_match_numpy():
    from fastdl.models.vae import VAE, elbo
    model = VAE(4, latent=2, hidden=8)
    x = fastdl.rand(3, 4)
    logits, mu, logvar = fastdl.randn(3, 4), fastdl.randn(3, 2), fastdl.randn(3, 2)
    got = elbo(model, x, logits, mu, logvar).numpy()
    xn, ln, mn, vn = (t.numpy().astype(np.float64) for t in (x, logits, mu, logvar))
    p = 1 / (1 + np.exp(-ln))
    log_px = (xn * np.log(p) + (1 - xn) * np.log(1 - p)).sum(1)
    kl = 0.5 * (mn ** 2 + np.exp(vn) - 1 - vn).sum(1)
    np.testing.assert_allclose(got, log_px - kl, rtol=1e-5, atol=1e-5)


def test_gan_mode_metrics_on_known_points():
    from fastdl.models.gan import mixture, mode_metrics
    means, std = mixture("ring")
    assert means.shape == (8, 2) and std == 0.01
    rng = np.random.default_rng(0)
    # 30 exact hits on each of modes 0-3, 10 on mode 4, 40 points far from every mode
    pts = np.concatenate([np.repeat(means[:4], 30, 0), np.repeat(means[4:5], 10, 0),
                          rng.uniform(-0.3, 0.3, (40, 2))])
    m = mode_metrics(pts, means, std, min_per_mode=20)
    assert m["modes"] == 5 and m["well_covered_modes"] == 4
    assert m["high_quality"] == pytest.approx(130 / 170)
    hist = np.array([30, 30, 30, 30, 10]) / 130
    assert m["reverse_kl"] == pytest.approx(float(np.sum(hist * np.log(hist * 8))))
    assert mixture("grid")[0].shape == (25, 2)
    with pytest.raises(ValueError, match="unknown dataset"):
        mixture("spiral")


def test_gan_packs_and_captures_several_modes():
    from fastdl.models import gan
    D = gan.Discriminator(pack=4, hidden=8)
    assert D(fastdl.randn(12, 2)).shape == (3,)
    D = gan.Discriminator(pack=4, hidden=8, fourier=1.0, n_features=5)  # 2 + 10 features per point
    assert D(fastdl.randn(12, 2)).shape == (3,) and D.net[0].weight.shape == (8, 48)
    assert "freqs" in D.state_dict()  # fixed frequencies travel with the checkpoint
    small = dict(g_hidden=64, d_hidden=64)
    _, untrained = gan.fit(seed=0, steps=0, **small)
    G, s = gan.fit(seed=0, steps=600, log_every=600, **small)
    assert s["n_modes"] == 8
    assert s["modes"] > 1 and s["high_quality"] > untrained["high_quality"]
    assert s["mean_distance"] < 0.5 * untrained["mean_distance"]
    assert G.sample(7).shape == (7, 2)


@pytest.mark.parametrize("fourier", [0.0, 1.0])
def test_gan_discriminator_input_gradient_matches_autograd(fourier):
    # the R1 penalty is built on D.input_gradient: it must equal autograd's d(sum D)/dx, and
    # a penalty on it must backpropagate to the weights (checked by central differences)
    from fastdl.models import gan
    D = gan.Discriminator(pack=4, hidden=16, input_scale=5.0, fourier=fourier, n_features=6)
    x = fastdl.randn(12, 2)
    xg = x.detach().requires_grad_(True)
    D(xg).sum().backward()
    np.testing.assert_allclose(D.input_gradient(x).detach().numpy(), xg.grad.numpy(), rtol=1e-5, atol=1e-6)
    penalty = lambda: (D.input_gradient(x) ** 2).sum()  # noqa: E731
    D.zero_grad()
    penalty().backward()
    W = D.net[2].weight
    analytic, eps = W.grad.numpy()[3, 5], 1e-2
    with fastdl.no_grad():
        W[3, 5] += eps
        up = float(penalty())
        W[3, 5] -= 2 * eps
        down = float(penalty())
        W[3, 5] += eps
    assert analytic == pytest.approx((up - down) / (2 * eps), rel=1e-2, abs=1e-6)


def test_gan_instance_noise_decays_to_zero():
    from fastdl.models.gan import _instance_noise
    config = {"d_noise": 0.5, "d_noise_until": 0.5, "steps": 100}
    x = fastdl.zeros(20000, 2)
    assert float(_instance_noise(config, 0)(x).numpy().std()) == pytest.approx(0.5, rel=0.03)
    assert float(_instance_noise(config, 25)(x).numpy().std()) == pytest.approx(0.25, rel=0.03)
    assert _instance_noise(config, 50)(x) is x and _instance_noise({**config, "d_noise": 0.0}, 0)(x) is x


def test_dcgan_samples_become_recognisable(one_thread):
    from fastdl.models import dcgan
    G = dcgan.Generator(z_dim=8, width=8)
    assert G(fastdl.randn(3, 8)).shape == (3, 1, 8, 8)
    assert dcgan.Discriminator(width=8)(fastdl.rand(3, 1, 8, 8)).shape == (3,)
    small = dict(width=16, d_width=16, classifier_epochs=6, eval_samples=300, final_samples=1000, conditional=None)
    _, untrained = dcgan.fit(seed=0, epochs=0, **small)
    G, s = dcgan.fit(seed=0, epochs=4, **small)
    assert s["judge_accuracy"] > 0.97 and s["judge_real_confidence"] > 0.9
    assert s["mlp_accuracy"] > 0.9
    # an untrained G draws one grey blob that both judges put in a single class (the CNN
    # even with confidence ~0.7), so at this budget learning shows as diversity first
    assert untrained["classes"] <= 2
    assert s["classes"] >= 5 and s["class_reverse_kl"] < untrained["class_reverse_kl"] - 0.8
    assert s["mlp_classes"] >= 8 and s["mlp_confidence"] > untrained["mlp_confidence"] + 0.05
    samples = G.sample(4)
    assert 0 <= float(samples.min()) and float(samples.max()) <= 1


def test_dcgan_acgan_samples_follow_their_labels(one_thread):
    from fastdl.models import dcgan
    small = dict(width=16, d_width=16, classifier_epochs=6, eval_samples=300, final_samples=1000)
    G, s = dcgan.fit(seed=0, epochs=8, **small)  # conditional="acgan" by default
    # both judges name the conditioning label far more often than chance (10 %; 0.68 / 0.80 when written)
    assert s["label_agreement"] > 0.5 and s["mlp_label_agreement"] > 0.5
    assert s["classes"] == 10
    labels = np.arange(200) % 10  # given labels, every class in turn
    predicted = dcgan.fixed_judge()[0](G.sample(200, labels=labels)).argmax(1)
    assert np.mean(predicted == labels) > 0.5
    assert G.sample(5).shape == (5, 1, 8, 8)  # labels drawn inside


def test_dcgan_sample_validates_labels():
    from fastdl.models import dcgan
    G = dcgan.Generator(z_dim=4, width=4, num_classes=10)
    assert G.sample(2, labels=fastdl.tensor([1, 9])).shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match=r"dcgan.Generator.sample: labels must be 3 integers"):
        G.sample(3, labels=[1, 2])
    with pytest.raises(ValueError, match=r"dcgan.Generator.sample: labels must be 2 integers"):
        G.sample(2, labels=np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"dcgan.Generator.sample: labels must lie in \[0, 10\)"):
        G.sample(2, labels=[0, 10])
    with pytest.raises(ValueError, match=r"dcgan.Generator.sample: labels must lie"):
        G.sample(1, labels=[-1])
    with pytest.raises(ValueError, match="dcgan.Generator.sample: labels given to an unconditional"):
        dcgan.Generator(z_dim=4, width=4).sample(2, labels=[0, 1])
    with pytest.raises(ValueError, match="dcgan.Generator: labels are needed"):
        G(fastdl.randn(2, 4))
    with pytest.raises(ValueError, match="dcgan: conditional must be 'acgan' or None"):
        dcgan.class_losses({"conditional": "projection", "class_weight": 1.0})


def test_dcgan_acgan_resume_matches_an_uninterrupted_run(tmp_path):
    from fastdl.cli import main
    small = {"width": 8, "d_width": 8, "classifier_epochs": 1, "judge_epochs": 1, "eval_samples": 50,
             "final_samples": 50}
    common = [arg for k, v in small.items() for arg in ("--set", f"{k}={v}")] + ["--quiet"]
    out, straight = str(tmp_path / "resumed"), str(tmp_path / "straight")
    assert main(["train", "dcgan", "--epochs", "1", "--out", out, *common]) == 0
    assert main(["train", "dcgan", "--epochs", "2", "--out", out, "--resume", out, *common]) == 0
    assert main(["train", "dcgan", "--epochs", "2", "--out", straight, *common]) == 0
    records = []
    for d in (out, straight):
        with open(os.path.join(d, "metrics.json")) as f:
            records.append(json.load(f))
    assert [h["epoch"] for h in records[0]["history"]] == [1, 2]
    assert records[0]["config"]["conditional"] == "acgan" and "label_agreement" in records[0]["summary"]
    assert records[0]["summary"] == records[1]["summary"]  # the checkpoint holds the label head and the RNG


def test_dcgan_fixed_judge_ignores_run_seed_and_keeps_rng(one_thread):
    from fastdl.models import dcgan
    dcgan._JUDGES.clear()
    fastdl.manual_seed(5)
    expected = fastdl.rand(4).numpy()
    fastdl.manual_seed(5)
    proba, acc, real = dcgan.fixed_judge(seed=0, epochs=2)
    np.testing.assert_array_equal(fastdl.rand(4).numpy(), expected)  # training it left the RNG where it was
    assert dcgan.fixed_judge(seed=0, epochs=2)[0] is proba  # cached: one judge for every run
    p = proba(fastdl.rand(6, 64))
    assert p.shape == (6, 10) and np.allclose(p.sum(1), 1, atol=1e-5)
    assert 0.1 < real <= 1 and acc > 0.5


def test_dcgan_spectral_norm_divides_by_top_singular_value(one_thread):
    from fastdl.models import dcgan
    D = dcgan.Discriminator(width=8, norm="spectral")
    x = fastdl.rand(5, 1, 8, 8)
    for _ in range(30):  # power iteration converges on u
        D(x)
    conv = D.net[0]
    w = conv.weight.detach().numpy().reshape(conv.out_channels, -1)
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    conv.eval()
    want = fastdl.nn.functional.conv2d(x, fastdl.tensor(w.reshape(conv.weight.shape) / sigma), conv.bias.detach(),
                                       2, 1).numpy()
    np.testing.assert_allclose(conv(x).detach().numpy(), want, rtol=1e-3, atol=1e-5)
    conv.train()
    (D(x).sum() + D(fastdl.rand(5, 1, 8, 8)).sum()).backward()  # two forwards, one backward: u updated safely
    assert conv.weight.grad is not None and "net.0.u" in D.state_dict()
    with pytest.raises(ValueError, match="dcgan.Discriminator: norm"):
        dcgan.Discriminator(norm="layer")


def test_dcgan_shift_matches_cnn_augmentation_and_passes_gradients():
    from fastdl.models import cnn, dcgan
    from fastdl.testing import gradcheck
    x = fastdl.rand(6, 2, 5, 4)
    fastdl.manual_seed(3)
    got = dcgan.differentiable_shift(x, 2).numpy()
    fastdl.manual_seed(3)
    np.testing.assert_array_equal(got, cnn.random_shift(x, 2).numpy())  # same offsets, same images
    assert not np.array_equal(got, x.numpy())

    def shifted(t):
        fastdl.manual_seed(4)  # the same offsets in every evaluation
        return dcgan.differentiable_shift(t, 1)
    assert gradcheck(shifted, [fastdl.rand(4, 1, 3, 3, dtype=fastdl.float64, requires_grad=True)])


def test_dcgan_lr_decays_linearly_over_the_last_fraction():
    from fastdl.models.dcgan import lr_at
    config = {"epochs": 9, "lr": 0.3, "lr_decay_last": 0.0}
    assert [lr_at(config, e) for e in range(9)] == [0.3] * 9
    config["lr_decay_last"] = 1 / 3
    np.testing.assert_allclose([lr_at(config, e) for e in range(9)], [0.3] * 7 + [0.2, 0.1])
    with pytest.raises(ValueError, match="dcgan: lr_decay_last"):
        lr_at({**config, "lr_decay_last": 1.5}, 0)


def test_dcgan_losses_match_numpy():
    from fastdl.models import dcgan
    r, f = np.array([2.0, -0.5, 0.3], np.float32), np.array([-1.5, 0.8, 0.1], np.float32)
    tr, tf = fastdl.tensor(r), fastdl.tensor(f)
    softplus = lambda x: np.log1p(np.exp(x))  # noqa: E731
    d, g = dcgan.gan_losses("bce", 0.9)
    want = np.mean(0.9 * softplus(-r) + 0.1 * softplus(r)) + np.mean(softplus(f))
    assert float(d(tr, tf)) == pytest.approx(want, rel=1e-5)
    assert float(g(tf)) == pytest.approx(np.mean(softplus(-f)), rel=1e-5)
    d, g = dcgan.gan_losses("hinge", 1.0)
    assert float(d(tr, tf)) == pytest.approx(np.mean(np.maximum(0, 1 - r)) + np.mean(np.maximum(0, 1 + f)), rel=1e-5)
    assert float(g(tf)) == pytest.approx(-np.mean(f), rel=1e-5)
    with pytest.raises(ValueError, match="dcgan: loss"):
        dcgan.gan_losses("wasserstein", 1.0)
