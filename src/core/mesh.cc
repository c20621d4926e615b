#include "core/mesh.h"

namespace ringcast {

Mesh::Mesh(unsigned shards, size_t ring_capacity)
    : _shards(shards)
    , _rings(size_t(shards) * shards)
    , _wake(new WakeState[shards])
    , _turned(new TurnState[shards]) {
    for (unsigned from = 0; from < shards; ++from)
        for (unsigned to = 0; to < shards; ++to)
            if (from != to)
                _rings[from * shards + to] = std::make_unique<SpscRing<MeshMsg>>(ring_capacity);
}

}  // namespace ringcast
