// Builds without MPI: training runs in one process.
#include "train/collective.hpp"

namespace pocketrec {

bool mpi_available() {
  return false;
}

std::unique_ptr<Collective> mpi_collective(int&, char**&) {
  return nullptr;
}

}  // namespace pocketrec
