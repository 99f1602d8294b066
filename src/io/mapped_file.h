// A read-only memory map of a whole file. Tensors viewing a mapped file hold a shared_ptr to it,
// so the mapping lives exactly as long as something uses its bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace fluxgen {

class MappedFile {
 public:
  // Throws fluxgen::Error naming the path and the OS error.
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // Gives the pages wholly inside bytes [offset, offset + n) back to the kernel (madvise
  // MADV_DONTNEED): they leave this process's resident memory, and a later read maps them from
  // the file again, so views of them stay valid. Used once a tensor is converted or uploaded.
  void release_pages(size_t offset, size_t n) const;

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Reads a whole (small) file into a string; errors name the path.
std::string read_text_file(const std::string& path);
// Writes a file through a temporary name in the same folder and a rename on commit(), so nobody
// ever sees a half-written file; destroyed without commit() it removes the temporary file.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(std::string path);
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  void write(const void* data, size_t size);
  void commit();

 private:
  std::string path_;
  std::string tmp_;
  int fd_ = -1;
  [[noreturn]] void fail_io(const char* what, int err);
};

void write_file_atomically(const std::string& path, const void* data, size_t size);

}  // namespace fluxgen
