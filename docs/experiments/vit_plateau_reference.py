# PyTorch reference for docs/experiments/vit-plateau.md: the shapes ViT (BLIP/timm layout) on scenes written by
# `bin/probe-vit --dump 7000 FILE`; run where PyTorch is installed: python3 vit_plateau_reference.py FILE
import gzip, numpy as np, torch, torch.nn as nn, torch.nn.functional as F, time, sys, math
torch.manual_seed(0)
S = 64
raw = gzip.open(sys.argv[1]).read()
rec = 4 + S * S * 3
n = len(raw) // rec
a = np.frombuffer(raw, dtype=np.uint8).reshape(n, rec)
lab = torch.tensor(a[:, :4].astype(np.int64))
img = torch.tensor(a[:, 4:].reshape(n, S, S, 3)).permute(0, 3, 1, 2).float() / 255
mean = torch.tensor([0.48145466, 0.4578275, 0.40821073]).view(1, 3, 1, 1)
std = torch.tensor([0.26862954, 0.26130258, 0.27577711]).view(1, 3, 1, 1)
img = ((img - mean) / std).cuda()
lab = lab.cuda()
ntest = 1000
print('n', n, 'shape hist', torch.bincount(lab[:, 0]).tolist())

class Block(nn.Module):
    def __init__(s, d, h):
        super().__init__(); s.n1 = nn.LayerNorm(d, eps=1e-6); s.qkv = nn.Linear(d, 3 * d); s.proj = nn.Linear(d, d)
        s.n2 = nn.LayerNorm(d, eps=1e-6); s.fc1 = nn.Linear(d, 4 * d); s.fc2 = nn.Linear(4 * d, d); s.h = h
    def forward(s, x):
        B, N, D = x.shape
        q, k, v = s.qkv(s.n1(x)).reshape(B, N, 3, s.h, D // s.h).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(B, N, D)
        x = x + s.proj(o)
        return x + s.fc2(F.gelu(s.fc1(s.n2(x))))

class ViT(nn.Module):
    def __init__(s, p=8, d=160, depth=4, h=5, ncls=9, sincos=False, gap=False):
        super().__init__(); g = S // p
        s.pe = nn.Conv2d(3, d, p, p); s.cls = nn.Parameter(torch.zeros(1, 1, d)); s.pos = nn.Parameter(torch.zeros(1, g * g + 1, d))
        nn.init.trunc_normal_(s.cls, std=.02); nn.init.trunc_normal_(s.pos, std=.02)
        s.gap = gap
        if sincos:
            q = d // 4; w = 10000 ** (-torch.arange(q) / q); yy, xx = torch.meshgrid(torch.arange(g), torch.arange(g), indexing='ij')
            pe = torch.cat([torch.sin(xx.flatten()[:, None] * w), torch.cos(xx.flatten()[:, None] * w), torch.sin(yy.flatten()[:, None] * w), torch.cos(yy.flatten()[:, None] * w)], 1)
            with torch.no_grad(): s.pos[0, 1:] = pe
            s.pos.requires_grad_(False)
        s.blocks = nn.ModuleList([Block(d, h) for _ in range(depth)]); s.norm = nn.LayerNorm(d, eps=1e-6); s.head = nn.Linear(d, ncls)
        for m in s.modules():
            if isinstance(m, nn.Linear): nn.init.trunc_normal_(m.weight, std=.02); nn.init.zeros_(m.bias)
    def forward(s, x):
        x = s.pe(x).flatten(2).transpose(1, 2)
        x = torch.cat([s.cls.expand(x.shape[0], -1, -1), x], 1) + s.pos
        for b in s.blocks: x = b(x)
        x = s.norm(x)
        return s.head(x[:, 1:].mean(1) if s.gap else x[:, 0])

class CNN(nn.Module):
    def __init__(s, ncls=9):
        super().__init__()
        s.c = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(64, ncls))
    def forward(s, x): return s.c(x)

def run(name, model, task=0, lr=1e-3, bs=32, steps=3000, wd=0.05, warm=100):
    model = model.cuda(); opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=wd)
    ntrain = n - ntest; t0 = time.time(); g = torch.Generator(device='cuda').manual_seed(1)
    for st in range(1, steps + 1):
        for pg in opt.param_groups: pg['lr'] = lr * min(1, st / warm)
        idx = torch.randint(ntest, n, (bs,), device='cuda', generator=g)
        loss = F.cross_entropy(model(img[idx]), lab[idx, task])
        opt.zero_grad(); loss.backward(); opt.step()
        if st % (steps // 6) == 0:
            with torch.no_grad():
                model.eval(); acc = (model(img[:ntest]).argmax(1) == lab[:ntest, task]).float().mean().item(); model.train()
            print(f'{name} step {st} loss {loss.item():.3f} test_acc {acc:.3f} ({time.time()-t0:.0f}s)', flush=True)


run('cnn-shape', CNN())
run('vit-shape lr1e-3 bs32', ViT())
run('vit-shape lr5e-4 bs32', ViT(), lr=5e-4)
run('vit-shape lr1e-3 bs128', ViT(), bs=128)
run('vit-shape lr1e-3 bs32 10k', ViT(), steps=10000)
run('vit-shape p4', ViT(p=4))
run('vit-color', ViT(), task=1, steps=600)
run('a bs32 lr2e-4', ViT(), lr=2e-4)
run('b bs32 lr1e-4', ViT(), lr=1e-4)
run('c bs64 lr5e-4', ViT(), bs=64, lr=5e-4)
run('d bs128 lr2e-3 warm300', ViT(), bs=128, lr=2e-3, warm=300)
run('e bs128 lr1e-3 wd0', ViT(), bs=128, wd=0)
run('f bs128 lr1e-3 sincos', ViT(sincos=True), bs=128)
run('g bs128 lr1e-3 depth2', ViT(depth=2), bs=128)
run('h bs128 lr5e-4', ViT(), bs=128, lr=5e-4)
run('i bs128 lr1e-3 gap', ViT(gap=True), bs=128)
run('j bs32 lr2e-4 sincos gap', ViT(sincos=True, gap=True), lr=2e-4)
