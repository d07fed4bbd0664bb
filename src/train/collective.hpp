#pragma once
// The transport of data-parallel training across processes: each rank computes its slices of
// every batch, and the slices' gradients meet in one fixed order, so N ranks x T threads train
// exactly the model one process trains with N x T threads (train_two_ranks_equal_one_process).
// MPI provides it (mpi_collective.cpp, built when the build finds MPI); a single process needs
// none.
#include <cstddef>
#include <memory>
#include <vector>

namespace pocketrec {

class Collective {
 public:
  virtual ~Collective() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual void send(int to, const std::vector<char>& bytes) = 0;
  virtual void receive(int from, std::vector<char>& bytes) = 0;    // resized to the message
  virtual void broadcast(int root, std::vector<char>& bytes) = 0;  // resized on the receivers
  // Every rank's bytes, in rank order, on every rank.
  virtual void gather_all(const std::vector<char>& mine, std::vector<std::vector<char>>& all) = 0;
  virtual bool any(bool flag) = 0;       // true on every rank when it is true on one
  virtual double sum(double value) = 0;  // for reports: the order of the sum is the transport's
  // Ends every rank's process with `code` (a rank that failed: the others would wait forever).
  [[noreturn]] virtual void abort(int code) = 0;

  // What the transport did, for the docs' figures.
  size_t bytes_sent = 0;
  size_t messages = 0;
  double seconds = 0;
};

// The MPI transport when this process was started by mpirun (or srun) with more than one rank and
// the build has MPI; otherwise null. Initializes MPI (finalized at exit).
std::unique_ptr<Collective> mpi_collective(int& argc, char**& argv);
// True when this build can train across processes.
bool mpi_available();

}  // namespace pocketrec
