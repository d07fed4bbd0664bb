#include <mpi.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "core/error.hpp"
#include "train/collective.hpp"

namespace pocketrec {
namespace {

class Timer {
 public:
  explicit Timer(Collective& c) : c_(c), start_(std::chrono::steady_clock::now()) {}
  ~Timer() {
    c_.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  Collective& c_;
  std::chrono::steady_clock::time_point start_;
};

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw Error(std::string("MPI: ") + what + " failed");
}

// Messages are split below 2 GiB, the limit of MPI's int counts.
constexpr size_t kPiece = size_t{1} << 30;

class MpiCollective final : public Collective {
 public:
  MpiCollective() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  ~MpiCollective() override { MPI_Finalize(); }
  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void send(int to, const std::vector<char>& bytes) override {
    Timer t(*this);
    unsigned long long n = bytes.size();
    check(MPI_Send(&n, 1, MPI_UNSIGNED_LONG_LONG, to, 0, MPI_COMM_WORLD), "send");
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, bytes.size() - at));
      check(MPI_Send(bytes.data() + at, count, MPI_BYTE, to, 1, MPI_COMM_WORLD), "send");
    }
    bytes_sent += bytes.size() + sizeof n;
    ++messages;
  }

  void receive(int from, std::vector<char>& bytes) override {
    Timer t(*this);
    unsigned long long n = 0;
    check(MPI_Recv(&n, 1, MPI_UNSIGNED_LONG_LONG, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "receive");
    bytes.resize(n);
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, bytes.size() - at));
      check(
          MPI_Recv(bytes.data() + at, count, MPI_BYTE, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE),
          "receive");
    }
  }

  void broadcast(int root, std::vector<char>& bytes) override {
    Timer t(*this);
    unsigned long long n = bytes.size();
    check(MPI_Bcast(&n, 1, MPI_UNSIGNED_LONG_LONG, root, MPI_COMM_WORLD), "broadcast");
    bytes.resize(n);
    for (size_t at = 0; at < bytes.size(); at += kPiece) {
      const int count = static_cast<int>(std::min(kPiece, bytes.size() - at));
      check(MPI_Bcast(bytes.data() + at, count, MPI_BYTE, root, MPI_COMM_WORLD), "broadcast");
    }
    if (rank_ == root) {
      bytes_sent += bytes.size();
      ++messages;
    }
  }

  void gather_all(const std::vector<char>& mine, std::vector<std::vector<char>>& all) override {
    all.assign(size_, {});
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) all[r] = mine;
      broadcast(r, all[r]);
    }
  }

  bool any(bool flag) override {
    Timer t(*this);
    int in = flag ? 1 : 0, out = 0;
    check(MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD), "allreduce");
    return out != 0;
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

  double sum(double value) override {
    Timer t(*this);
    double out = 0;
    check(MPI_Allreduce(&value, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "allreduce");
    return out;
  }

 private:
  int rank_ = 0, size_ = 1;
};

bool launched_by_mpirun() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"}) {
    if (std::getenv(name)) return true;
  }
  return false;
}

}  // namespace

bool mpi_available() {
  return true;
}

std::unique_ptr<Collective> mpi_collective(int& argc, char**& argv) {
  if (!launched_by_mpirun()) return nullptr;
  check(MPI_Init(&argc, &argv), "init");
  auto collective = std::make_unique<MpiCollective>();
  if (collective->size() < 2) return nullptr;  // finalizes: one rank trains as one process
  return collective;
}

}  // namespace pocketrec
