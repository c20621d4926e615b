#include "cluster/resp_reader.h"

#include <hiredis/read.h>

#include <fmt/format.h>

namespace ringcast {

namespace {

// hiredis calls these as it parses. A child value lives inside its parent's
// vector, sized when the array began, so the pointer handed back to hiredis
// (which it keeps as the parent of the next items) stays valid. Only a root
// value is ever freed by hiredis (freeObject on reader->reply), so only roots
// are allocated on their own.
RespValue* place(const redisReadTask* task) {
    if (task->parent) {
        auto* parent = static_cast<RespValue*>(task->parent->obj);
        return &parent->elements[size_t(task->idx)];
    }
    return new RespValue();
}

void* create_string(const redisReadTask* task, char* s, size_t len) {
    RespValue* v = place(task);
    switch (task->type) {
        case REDIS_REPLY_ERROR: v->type = RespValue::Type::error; break;
        case REDIS_REPLY_STATUS: v->type = RespValue::Type::status; break;
        default: v->type = RespValue::Type::bulk; break;
    }
    v->str.assign(s, len);
    return v;
}

void* create_array(const redisReadTask* task, int elements) {
    // NULL makes hiredis fail with an out-of-memory error: a peer that
    // announces a billion elements gets no billion-element allocation.
    if (elements < 0 || size_t(elements) > RespReader::kMaxElements) return nullptr;
    RespValue* v = place(task);
    v->type = RespValue::Type::array;
    v->elements.resize(size_t(elements));
    return v;
}

void* create_integer(const redisReadTask* task, long long value) {
    RespValue* v = place(task);
    v->type = RespValue::Type::integer;
    v->integer = value;
    return v;
}

void* create_nil(const redisReadTask* task) {
    RespValue* v = place(task);
    v->type = RespValue::Type::nil;
    return v;
}

void free_object(void* p) {
    delete static_cast<RespValue*>(p);
}

redisReplyObjectFunctions kFunctions = {create_string, create_array, create_integer, create_nil,
                                        free_object};

}  // namespace

RespReader::RespReader() {
    _reader = redisReaderCreateWithFunctions(&kFunctions);
    if (!_reader) _error = "out of memory creating the RESP reader";
}

RespReader::~RespReader() {
    if (_reader) redisReaderFree(_reader);
}

void RespReader::fail(std::string why) {
    if (_error.empty()) _error = std::move(why);
}

bool RespReader::feed(const char* data, size_t len) {
    if (!_error.empty()) return false;
    if (redisReaderFeed(_reader, data, len) != REDIS_OK) {
        fail(fmt::format("RESP protocol error: {}", _reader->errstr));
        return false;
    }
    // hiredis 0.14 has no bound on a bulk string still arriving: ours.
    if (_reader->len - _reader->pos > kMaxBuffered) {
        fail(fmt::format("RESP protocol error: a reply larger than {} bytes", kMaxBuffered));
        return false;
    }
    return true;
}

std::optional<RespValue> RespReader::next() {
    if (!_error.empty()) return std::nullopt;
    void* reply = nullptr;
    if (redisReaderGetReply(_reader, &reply) != REDIS_OK) {
        fail(fmt::format("RESP protocol error: {}", _reader->errstr));
        return std::nullopt;
    }
    if (!reply) return std::nullopt;
    std::unique_ptr<RespValue> v(static_cast<RespValue*>(reply));
    return std::move(*v);
}

std::string RespValue::describe() const {
    switch (type) {
        case Type::status: return "+" + str;
        case Type::error: return "-" + str;
        case Type::integer: return fmt::format(":{}", integer);
        case Type::bulk: return fmt::format("${}", str);
        case Type::nil: return "(nil)";
        case Type::no_reply: return fmt::format("(no reply: {})", str);
        case Type::array: {
            std::string out = "[";
            for (size_t i = 0; i < elements.size(); ++i)
                out += (i ? ", " : "") + elements[i].describe();
            return out + "]";
        }
    }
    return "?";
}

}  // namespace ringcast
