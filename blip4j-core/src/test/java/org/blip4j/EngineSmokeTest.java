package org.blip4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.blip4j.engine.Engine;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;

class EngineSmokeTest {
    @Test
    void matmulWorks() {
        Engine.load();
        Tensor a = torch.ones(2, 3);
        Tensor b = torch.ones(3, 4);
        Tensor c = a.matmul(b);
        assertEquals(24.0, c.sum().item_double(), 0);
    }
}
